package cloud

import "strings"

// PolicyDocument is a parsed IAM or resource policy. Known is false when the
// document (or its JSON text) could not be resolved; Statements then hold
// whatever could be read, and rules treat the document as unknown.
type PolicyDocument struct {
	Known      bool        `json:"known"`
	Set        bool        `json:"set,omitempty"`
	Statements []Statement `json:"statements,omitempty"`
	Src        Source      `json:"source,omitzero"`
}

// Statement is one statement of a policy document. Lists hold resolved
// elements; Unknown is true when some part could not be resolved.
type Statement struct {
	Sid          string     `json:"sid,omitempty"`
	Effect       string     `json:"effect"`
	Actions      []string   `json:"actions,omitempty"`
	NotActions   []string   `json:"not_actions,omitempty"`
	Resources    []string   `json:"resources,omitempty"`
	NotResources []string   `json:"not_resources,omitempty"`
	Principals   Principals `json:"principals,omitzero"`
	// HasPrincipal is true when the statement names principals at all
	// (resource and trust policies).
	HasPrincipal bool `json:"has_principal,omitempty"`
	// Conditions maps "Operator:Key" to its values, e.g.
	// "Bool:aws:SecureTransport" -> ["false"].
	Conditions map[string][]string `json:"conditions,omitempty"`
	Unknown    bool                `json:"unknown,omitempty"`
}

// Principals are a statement's principals by kind ("AWS", "Service",
// "Federated", "CanonicalUser"); the bare "*" principal is kind "*".
type Principals map[string][]string

// Allows reports whether the statement is an Allow.
func (s Statement) Allows() bool { return strings.EqualFold(s.Effect, "Allow") }

// AnyAction reports whether the statement grants every action ("*" or "*:*").
func (s Statement) AnyAction() bool {
	for _, a := range s.Actions {
		if a == "*" || a == "*:*" {
			return true
		}
	}
	return false
}

// ServiceWildcard returns the first action of the form "service:*", or "".
func (s Statement) ServiceWildcard() string {
	for _, a := range s.Actions {
		if i := strings.Index(a, ":"); i > 0 && a[i+1:] == "*" {
			return a
		}
	}
	return ""
}

// AnyResource reports whether the statement applies to every resource.
func (s Statement) AnyResource() bool {
	for _, r := range s.Resources {
		if r == "*" {
			return true
		}
	}
	return false
}

// PublicPrincipal reports whether the statement's principal is everyone
// ("*" or {"AWS": "*"}).
func (s Statement) PublicPrincipal() bool {
	for kind, ps := range s.Principals {
		if kind != "*" && kind != "AWS" {
			continue
		}
		for _, p := range ps {
			if p == "*" {
				return true
			}
		}
	}
	return false
}

// HasCondition reports whether the statement has any condition.
func (s Statement) HasCondition() bool { return len(s.Conditions) > 0 }

// ConditionValues returns the values of a condition key under any operator
// whose name contains op (case-insensitive), e.g. ("Bool", "aws:SecureTransport").
func (s Statement) ConditionValues(op, key string) []string {
	var out []string
	for k, v := range s.Conditions {
		i := strings.LastIndex(k, ":")
		if i < 0 {
			continue
		}
		// k is "Operator:key:with:colons"; split at the first colon.
		j := strings.Index(k, ":")
		operator, ckey := k[:j], k[j+1:]
		if strings.Contains(strings.ToLower(operator), strings.ToLower(op)) && strings.EqualFold(ckey, key) {
			out = append(out, v...)
		}
	}
	return out
}

// AllowStatements returns the document's Allow statements.
func (d PolicyDocument) AllowStatements() []Statement {
	var out []Statement
	for _, s := range d.Statements {
		if s.Allows() {
			out = append(out, s)
		}
	}
	return out
}
