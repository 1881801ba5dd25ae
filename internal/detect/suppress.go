package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseSuppressions reads a YAML list of suppressions:
//
//   - rule_id: PAL-CT-003
//     principal: "arn:aws:iam::111122223333:root"   # optional glob
//     account: "111122223333"                       # optional
//     reason: break-glass drill, ticket SEC-12
//     expires: 2026-12-31                           # date or RFC 3339 time
//
// Every entry needs a rule, a reason and an expiry; errors name the file and
// line of the entry.
func ParseSuppressions(file string, data []byte) ([]Suppression, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: yaml: %w", file, err)
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	list := root.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: suppressions must be a list", file, list.Line)
	}
	var out []Suppression
	for _, n := range list.Content {
		var raw struct {
			RuleID    string `yaml:"rule_id"`
			Principal string `yaml:"principal"`
			Account   string `yaml:"account"`
			Reason    string `yaml:"reason"`
			Expires   string `yaml:"expires"`
		}
		if err := n.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, n.Line, err)
		}
		s := Suppression{RuleID: raw.RuleID, Principal: raw.Principal, Account: raw.Account, Reason: raw.Reason}
		if raw.Expires != "" {
			t, err := time.Parse(time.RFC3339, raw.Expires)
			if err != nil {
				t, err = time.Parse(time.DateOnly, raw.Expires)
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: expires %q is neither a date nor an RFC 3339 time", file, n.Line, raw.Expires)
			}
			s.Expires = t
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, n.Line, err)
		}
		out = append(out, s)
	}
	return out, nil
}
