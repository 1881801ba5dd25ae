package tree

import (
	"encoding/json"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// Policy parses a policy document given as JSON text or as a structured
// value. An absent value gives a document with Set false; an unknown value
// or unparsable text gives Known false.
func Policy(v *Value) cloud.PolicyDocument {
	if v.IsNull() {
		return cloud.PolicyDocument{}
	}
	doc := cloud.PolicyDocument{Set: true, Src: v.Src()}
	if v.Kind == String {
		if strings.TrimSpace(v.S) == "" {
			return cloud.PolicyDocument{}
		}
		var x any
		if err := json.Unmarshal([]byte(v.S), &x); err != nil {
			return doc
		}
		v = FromJSON(x, v.File, v.Line)
	}
	if v.Kind != Map {
		return doc
	}
	doc.Known = true
	for _, sv := range v.Get("Statement").Items() {
		if sv.Kind != Map {
			doc.Known = false
			continue
		}
		st := cloud.Statement{
			Effect:       str(sv.Get("Effect")),
			Actions:      Strings(sv.Get("Action")),
			NotActions:   Strings(sv.Get("NotAction")),
			Resources:    Strings(sv.Get("Resource")),
			NotResources: Strings(sv.Get("NotResource")),
			Unknown:      sv.HasUnknown(),
		}
		if s, ok := sv.Get("Sid").Str(); ok {
			st.Sid = s
		}
		if p := sv.Get("Principal"); !p.IsNull() {
			st.HasPrincipal = true
			st.Principals = cloud.Principals{}
			if s, ok := p.Str(); ok {
				st.Principals["*"] = []string{s}
			}
			for _, k := range p.Keys() {
				st.Principals[k] = Strings(p.M[k])
			}
		}
		if c := sv.Get("Condition"); c != nil && c.Kind == Map {
			st.Conditions = map[string][]string{}
			for _, op := range c.Keys() {
				for _, key := range c.M[op].Keys() {
					st.Conditions[op+":"+key] = Strings(c.M[op].M[key])
				}
			}
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc
}

func str(v *Value) string {
	s, _ := v.Str()
	return s
}
