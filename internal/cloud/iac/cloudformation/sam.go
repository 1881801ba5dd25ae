package cloudformation

import (
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

// samGlobals maps a SAM resource type to its section of the template's
// Globals (AWS::Serverless-2016-10-31 transform).
var samGlobals = map[string]string{
	"AWS::Serverless::Function":     "Function",
	"AWS::Serverless::Api":          "Api",
	"AWS::Serverless::HttpApi":      "HttpApi",
	"AWS::Serverless::SimpleTable":  "SimpleTable",
	"AWS::Serverless::StateMachine": "StateMachine",
	"AWS::Serverless::LayerVersion": "LayerVersion",
}

// withGlobals returns a SAM resource's properties with its Globals section
// applied as the SAM transform does: a property the resource sets wins, maps
// merge key by key, and lists are the global items followed by the
// resource's. The resource's own values keep their lines; inherited ones
// keep the line in Globals, which is where a reviewer changes them.
func withGlobals(props, global *tree.Value) *tree.Value {
	if global == nil || global.Kind != tree.Map {
		return props
	}
	if props == nil || props.Kind != tree.Map {
		return global
	}
	return mergeGlobal(global, props)
}

func mergeGlobal(global, local *tree.Value) *tree.Value {
	switch {
	case local == nil || local.Kind == tree.Null:
		return global
	case global == nil || global.Kind == tree.Null:
		return local
	case global.Kind == tree.Map && local.Kind == tree.Map:
		out := &tree.Value{Kind: tree.Map, M: map[string]*tree.Value{}, File: local.File, Line: local.Line, Refs: local.Refs}
		for k, v := range global.M {
			out.M[k] = v
		}
		for k, v := range local.M {
			out.M[k] = mergeGlobal(global.M[k], v)
		}
		return out
	case global.Kind == tree.List && local.Kind == tree.List:
		out := &tree.Value{Kind: tree.List, File: local.File, Line: local.Line, Refs: local.Refs}
		out.L = append(append(out.L, global.L...), local.L...)
		return out
	default:
		return local
	}
}

// samTracing reads a SAM Tracing property ("Active" or "PassThrough")
// as the Lambda TracingConfig mode it becomes.
func samTracing(p *tree.Value) *tree.Value {
	v := p.Get("Tracing")
	if v == nil || v.Kind == tree.Null {
		return nil
	}
	if str, ok := v.Str(); ok && strings.EqualFold(str, "Disabled") {
		c := *v
		c.S = "PassThrough"
		return &c
	}
	return v
}
