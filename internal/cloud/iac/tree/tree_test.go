package tree

import (
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud"
)

func strv(s string, line int) *Value { return &Value{Kind: String, S: s, File: "f", Line: line} }

func TestAttributeReaders(t *testing.T) {
	unknown := &Value{Kind: Unknown, File: "f", Line: 3}
	cases := []struct {
		name string
		got  any
		want any
	}{
		{"absent bool takes the provider default", BoolAttr(nil, true), cloud.Default(true)},
		{"bool is known at its line", BoolAttr(&Value{Kind: Bool, B: false, File: "f", Line: 2}, true), cloud.Known(false, cloud.Source{File: "f", Line: 2})},
		{"CloudFormation string booleans are read", BoolAttr(strv("True", 4), false), cloud.Known(true, cloud.Source{File: "f", Line: 4})},
		{"a non-boolean string is unknown", BoolAttr(strv("maybe", 4), false), cloud.Unknown[bool](cloud.Source{File: "f", Line: 4})},
		{"unknown bool stays unknown", BoolAttr(unknown, false), cloud.Unknown[bool](cloud.Source{File: "f", Line: 3})},
		{"numbers read as strings", StringAttr(&Value{Kind: Number, N: 443, File: "f", Line: 1}, ""), cloud.Known("443", cloud.Source{File: "f", Line: 1})},
		{"absent string takes the default", StringAttr(nil, "private"), cloud.Default("private")},
		{"integer from a number", IntAttr(&Value{Kind: Number, N: 30, File: "f", Line: 5}, 0), cloud.Known(int64(30), cloud.Source{File: "f", Line: 5})},
		{"integer from a CloudFormation string", IntAttr(strv(" 22 ", 6), 0), cloud.Known(int64(22), cloud.Source{File: "f", Line: 6})},
		{"a fraction is not an integer", IntAttr(&Value{Kind: Number, N: 1.5, File: "f", Line: 7}, 0), cloud.Unknown[int64](cloud.Source{File: "f", Line: 7})},
		{"a present block is true at its line", PresentAttr(&Value{Kind: Map, File: "f", Line: 8}, cloud.Source{File: "f", Line: 1}), cloud.Known(true, cloud.Source{File: "f", Line: 8})},
		{"an empty list of blocks is absent", PresentAttr(&Value{Kind: List, File: "f", Line: 9}, cloud.Source{}), cloud.Known(false, cloud.Source{File: "f", Line: 9})},
		{"an absent block is false by default", PresentAttr(nil, cloud.Source{}), cloud.Default(false)},
		{"an unknown block is unknown", PresentAttr(unknown, cloud.Source{}), cloud.Unknown[bool](cloud.Source{File: "f", Line: 3})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %+v, want %+v", c.got, c.want)
			}
		})
	}
}

func TestStringListAttr(t *testing.T) {
	cases := []struct {
		name        string
		v           *Value
		wantVals    string
		wantUnknown bool
		wantSet     bool
	}{
		{"absent list is empty and not set", nil, "", false, false},
		{"a single string is a list of one", strv("a", 1), "a", false, true},
		{"unknown elements are flagged, known ones kept", &Value{Kind: List, L: []*Value{strv("a", 1), {Kind: Unknown}, strv("b", 1)}}, "a,b", true, true},
		{"a wholly unknown list is unknown", &Value{Kind: Unknown}, "", true, true},
		{"null elements are dropped", &Value{Kind: List, L: []*Value{{Kind: Null}, strv("c", 1)}}, "c", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := StringListAttr(c.v)
			got := ""
			for i, s := range l.Vals {
				if i > 0 {
					got += ","
				}
				got += s
			}
			if got != c.wantVals || l.Unknown != c.wantUnknown || l.Set != c.wantSet {
				t.Errorf("got %+v", l)
			}
		})
	}
}

func TestNavigation(t *testing.T) {
	block := &Value{Kind: Map, M: map[string]*Value{"enabled": {Kind: Bool, B: true}}}
	blocks := &Value{Kind: List, L: []*Value{block, {Kind: Map, M: map[string]*Value{}}}}
	root := &Value{Kind: Map, M: map[string]*Value{"versioning": blocks, "single": block, "unk": {Kind: List, L: []*Value{{Kind: Unknown}}}}}
	cases := []struct {
		name string
		ok   bool
	}{
		{"Get on a list of blocks reads the first block", root.Path("versioning", "enabled").B},
		{"Items of a list are its elements", len(root.Get("versioning").Items()) == 2},
		{"Items of a single block is that block", len(root.Get("single").Items()) == 1},
		{"Get on a missing key is nil", root.Path("nope", "x") == nil},
		{"HasUnknown finds a nested unknown", root.HasUnknown() && !block.HasUnknown()},
		{"Keys are sorted", len(root.Keys()) == 3 && root.Keys()[0] == "single"},
		{"RefersTo matches a reference", (&Value{Kind: Unknown, Refs: []string{"aws_s3_bucket.b"}}).RefersTo("aws_s3_bucket.b")},
		{"RefersTo matches a placeholder id and its attributes", strv(RefPrefix+"aws_s3_bucket.b.arn", 1).RefersTo("aws_s3_bucket.b")},
		{"RefersTo does not match a longer address", !strv(RefPrefix+"aws_s3_bucket.bb", 1).RefersTo("aws_s3_bucket.b")},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s: failed", c.name)
		}
	}
}

func TestPolicy(t *testing.T) {
	cases := []struct {
		name      string
		v         *Value
		wantKnown bool
		wantSet   bool
		check     func(d cloud.PolicyDocument) bool
	}{
		{"absent policy is not set", nil, false, false, nil},
		{"empty text is not set", strv("  ", 1), false, false, nil},
		{"unparsable JSON text is set but unknown", strv("{nope", 1), false, true, nil},
		{"an unknown value is set but unknown", &Value{Kind: Unknown, File: "f", Line: 2}, false, true, nil},
		{
			"JSON text with principals, actions and conditions",
			strv(`{"Statement":[{"Sid":"Tls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, 3),
			true, true,
			func(d cloud.PolicyDocument) bool {
				s := d.Statements[0]
				return s.Sid == "Tls" && s.PublicPrincipal() && len(s.Resources) == 2 && s.ConditionValues("Bool", "aws:SecureTransport")[0] == "false" && d.Src.Line == 3
			},
		},
		{
			"a structured document with an unknown statement part is known but flags the statement",
			&Value{Kind: Map, M: map[string]*Value{"Statement": {Kind: List, L: []*Value{{Kind: Map, M: map[string]*Value{"Effect": strv("Allow", 1), "Action": {Kind: Unknown}}}}}}},
			true, true,
			func(d cloud.PolicyDocument) bool { return d.Statements[0].Unknown && d.Statements[0].Allows() },
		},
		{
			"a statement that is not an object makes the document unknown",
			&Value{Kind: Map, M: map[string]*Value{"Statement": {Kind: List, L: []*Value{{Kind: Unknown}}}}},
			false, true, nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Policy(c.v)
			if d.Known != c.wantKnown || d.Set != c.wantSet {
				t.Fatalf("known %v set %v, want %v %v", d.Known, d.Set, c.wantKnown, c.wantSet)
			}
			if c.check != nil && !c.check(d) {
				t.Errorf("document %+v", d)
			}
		})
	}
}

func TestFromJSON(t *testing.T) {
	v := FromJSON(map[string]any{"a": []any{1.0, "x", true, nil}}, "p.json", 4)
	items := v.Get("a").Items()
	if len(items) != 4 || items[0].N != 1 || items[1].S != "x" || !items[2].B || !items[3].IsNull() || items[1].Line != 4 || items[1].File != "p.json" {
		t.Errorf("tree %+v", v)
	}
}
