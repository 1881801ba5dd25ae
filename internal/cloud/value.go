// Package cloud is palisade's one typed model of AWS resources. Terraform,
// CloudFormation and the live AWS collector all fill the same State, and the
// posture rules read only this model, so one rule catches a weakness before
// merge and after deploy.
//
// Values that a source could not resolve (an unset variable, a computed
// attribute, an intrinsic function that needs a live account) are explicit:
// every scalar attribute is an Attr that says whether it is known. Rules act
// only on known values, so an unknown value never produces a finding.
package cloud

import "fmt"

// Source says where a resource or one of its attributes came from: a file and
// line for infrastructure as code, or an ARN for live state.
type Source struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	ARN  string `json:"arn,omitempty"`
}

// IsZero reports whether the source says nothing.
func (s Source) IsZero() bool { return s.File == "" && s.Line == 0 && s.ARN == "" }

// String renders file:line, or the ARN.
func (s Source) String() string {
	if s.File != "" {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return s.ARN
}

// Attr is one scalar attribute of a resource. Known is false when the source
// could not resolve the value; Set is true when the value was written in the
// source (as opposed to the provider's default); Src is where it was written.
type Attr[T comparable] struct {
	Val   T      `json:"value"`
	Known bool   `json:"known"`
	Set   bool   `json:"set,omitempty"`
	Src   Source `json:"source,omitzero"`
}

// Bool is a boolean attribute that may be unknown.
type Bool = Attr[bool]

// String is a string attribute that may be unknown.
type String = Attr[string]

// Int is an integer attribute that may be unknown.
type Int = Attr[int64]

// Known builds a known attribute set at src.
func Known[T comparable](v T, src Source) Attr[T] {
	return Attr[T]{Val: v, Known: true, Set: true, Src: src}
}

// Default builds a known attribute holding the provider's default (not written in the source).
func Default[T comparable](v T) Attr[T] { return Attr[T]{Val: v, Known: true} }

// Unknown builds an attribute whose value could not be resolved at src.
func Unknown[T comparable](src Source) Attr[T] { return Attr[T]{Set: true, Src: src} }

// Is reports whether the value is known and equal to v. An unknown value is
// never equal to anything, so rules written with Is stay quiet on unknowns.
func (a Attr[T]) Is(v T) bool { return a.Known && a.Val == v }

// IsNot reports whether the value is known and differs from v.
func (a Attr[T]) IsNot(v T) bool { return a.Known && a.Val != v }

// StringList is a list of strings that may be unknown as a whole or in part:
// Unknown is true when some element (or the whole list) could not be resolved.
type StringList struct {
	Vals    []string `json:"values"`
	Unknown bool     `json:"unknown,omitempty"`
	Set     bool     `json:"set,omitempty"`
	Src     Source   `json:"source,omitzero"`
}

// Contains reports whether a known element equals v.
func (l StringList) Contains(v string) bool {
	for _, s := range l.Vals {
		if s == v {
			return true
		}
	}
	return false
}

// Tags are a resource's tags.
type Tags map[string]string

// Meta is what every resource has: its type in the source's vocabulary, an
// address (IaC address such as aws_s3_bucket.logs or a CloudFormation logical
// id, or the ARN for live state), where it came from, its tags, and the rule
// ids its author asked to ignore.
type Meta struct {
	Type    string `json:"type"`
	Address string `json:"address"`
	Src     Source `json:"source"`
	Tags    Tags   `json:"tags,omitempty"`
	// TagsKnown is false when the tags came from an unresolvable expression.
	TagsKnown bool `json:"tags_known"`
	// Ignores lists suppressed rule ids (from "palisade:ignore" comments).
	Ignores []Ignore `json:"ignores,omitempty"`
}

// Ignore is one suppression written beside a resource.
type Ignore struct {
	RuleID string `json:"rule_id"`
	Reason string `json:"reason,omitempty"`
	Src    Source `json:"source"`
}

// Base returns the resource's Meta; every resource type embeds Meta, so every
// resource satisfies Resource.
func (m *Meta) Base() *Meta { return m }

// Resource is any resource of the model.
type Resource interface {
	Base() *Meta
}

// Ignored reports whether the author suppressed ruleID on this resource.
func (m *Meta) Ignored(ruleID string) bool {
	for _, ig := range m.Ignores {
		if ig.RuleID == ruleID || ig.RuleID == "*" {
			return true
		}
	}
	return false
}

// At returns where an attribute was written, or the resource's own location
// when the attribute was not written (a missing attribute is reported at the
// resource block).
func At[T comparable](m *Meta, a Attr[T]) Source {
	if a.Set && !a.Src.IsZero() {
		return a.Src
	}
	return m.Src
}

// AtList is At for a StringList.
func AtList(m *Meta, l StringList) Source {
	if l.Set && !l.Src.IsZero() {
		return l.Src
	}
	return m.Src
}
