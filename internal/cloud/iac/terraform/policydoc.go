package terraform

import (
	"encoding/json"

	"github.com/zclconf/go-cty/cty"

	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

// policyDocumentJSON renders a data "aws_iam_policy_document" body as the
// JSON policy its json attribute would hold, or unknown when any part the
// document needs is unknown (or when it merges other documents).
func policyDocumentJSON(body *tree.Value) cty.Value {
	if body.HasUnknown() || !body.Get("source_policy_documents").IsNull() || !body.Get("override_policy_documents").IsNull() ||
		!body.Get("source_json").IsNull() || !body.Get("override_json").IsNull() {
		return cty.UnknownVal(cty.String)
	}
	var stmts []any
	for _, st := range body.Get("statement").Items() {
		out := map[string]any{}
		effect := "Allow"
		if s, ok := st.Get("effect").Str(); ok {
			effect = s
		}
		out["Effect"] = effect
		if s, ok := st.Get("sid").Str(); ok {
			out["Sid"] = s
		}
		for src, dst := range map[string]string{"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
			if v := st.Get(src); !v.IsNull() {
				out[dst] = tree.Strings(v)
			}
		}
		for src, dst := range map[string]string{"principals": "Principal", "not_principals": "NotPrincipal"} {
			ps := st.Get(src).Items()
			if len(ps) == 0 {
				continue
			}
			m := map[string]any{}
			for _, p := range ps {
				typ, _ := p.Get("type").Str()
				ids := tree.Strings(p.Get("identifiers"))
				if typ == "*" {
					out[dst] = "*"
					continue
				}
				prev, _ := m[typ].([]string)
				m[typ] = append(prev, ids...)
			}
			if len(m) > 0 {
				out[dst] = m
			}
		}
		conds := map[string]map[string][]string{}
		for _, c := range st.Get("condition").Items() {
			test, _ := c.Get("test").Str()
			variable, _ := c.Get("variable").Str()
			if conds[test] == nil {
				conds[test] = map[string][]string{}
			}
			conds[test][variable] = append(conds[test][variable], tree.Strings(c.Get("values"))...)
		}
		if len(conds) > 0 {
			out["Condition"] = conds
		}
		stmts = append(stmts, out)
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		return cty.UnknownVal(cty.String)
	}
	return cty.StringVal(string(b))
}
