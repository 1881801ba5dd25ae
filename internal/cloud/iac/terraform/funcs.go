package terraform

import (
	"errors"

	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// unknownFunc stands for a Terraform function whose result depends on the
// machine or the moment (files, time, random ids, network math): it returns
// an unknown value instead of guessing.
var unknownFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		return cty.DynamicVal, nil
	},
})

// tryFunc is try() for static analysis: the first argument that evaluates
// without error, even when parts of it are unknown. Terraform's try returns
// a wholly unknown value then (the unknown parts might fail once known),
// which would hide every known part of, say, a module input holding a list
// of replication rules because one rule names a data source's account id.
var tryFunc = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "expressions", Type: customdecode.ExpressionClosureType},
	Type: func(args []cty.Value) (cty.Type, error) {
		v, err := firstWithoutError(args)
		if err != nil {
			return cty.NilType, err
		}
		return v.Type(), nil
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return firstWithoutError(args) },
})

// errNoTry is returned when no argument of try() evaluates.
var errNoTry = errors.New("no expression succeeded")

func firstWithoutError(args []cty.Value) (cty.Value, error) {
	for _, a := range args {
		v, diags := customdecode.ExpressionClosureFromVal(a).Value()
		if !diags.HasErrors() {
			return v, nil
		}
	}
	return cty.NilVal, errNoTry
}

// functions returns the Terraform built-in functions palisade evaluates.
// Built fresh per evaluation so nothing global is mutable.
func functions() map[string]function.Function {
	f := map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
	for _, name := range []string{
		"file", "fileexists", "fileset", "filebase64", "filemd5", "filesha1", "filesha256", "filesha512",
		"templatefile", "timestamp", "timeadd", "uuid", "uuidv5", "bcrypt", "md5", "sha1", "sha256", "sha512",
		"base64encode", "base64decode", "base64gzip", "base64sha256", "base64sha512", "textencodebase64",
		"textdecodebase64", "urlencode", "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "pathexpand",
		"abspath", "dirname", "basename", "yamlencode", "yamldecode", "one", "sum", "alltrue", "anytrue",
		"formatdate", "nonsensitive", "sensitive", "type", "startswith", "endswith", "strcontains",
		"transpose", "matchkeys", "issensitive", "plantimestamp", "ephemeralasnull", "templatestring",
		"tomap", "provider::aws::arn_parse", "provider::aws::arn_build",
	} {
		if _, ok := f[name]; !ok {
			f[name] = unknownFunc
		}
	}
	return f
}
