package sigma

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

func corpora(t testing.TB) string {
	t.Helper()
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "shared", "corpora")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("corpora not found at %s", root)
	}
	return root
}

func mustEvent(t testing.TB, js string) *event.Event {
	t.Helper()
	ev, err := event.Decode(js)
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return ev
}

func mustRule(t testing.TB, y string) *Rule {
	t.Helper()
	rules, errs := Parse("t.yml", []byte(y))
	if len(errs) > 0 || len(rules) != 1 {
		t.Fatalf("parse: %v (%d rules)", errs, len(rules))
	}
	return rules[0]
}

func ruleWith(detection string) string {
	return "title: t\nid: 1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n" + detection
}

const baseEvent = `{"eventID":"1","eventTime":"2024-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy",
"sourceIPAddress":"10.1.2.3","userAgent":"aws-cli/2.0 kali","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/Bob","userName":"bob"},
"requestParameters":{"userName":"bob","policyDocument":{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]},"ports":[22,443],"count":7,"path":"C:\\x\\*y","enc":"aGVsbG8gd29ybGQ="}}`

func TestDetectionMatching(t *testing.T) {
	ev := mustEvent(t, baseEvent)
	tests := []struct {
		name string
		det  string
		want bool
	}{
		{"equality is case-insensitive", "  sel:\n    eventName: putuserpolicy\n  condition: sel", true},
		{"equality does not match other names", "  sel:\n    eventName: PutRolePolicy\n  condition: sel", false},
		{"list of values is OR", "  sel:\n    eventName: [A, PutUserPolicy]\n  condition: sel", true},
		{"map keys are AND", "  sel:\n    eventName: PutUserPolicy\n    eventSource: s3.amazonaws.com\n  condition: sel", false},
		{"list of maps is OR", "  sel:\n    - eventName: X\n    - eventSource: iam.amazonaws.com\n  condition: sel", true},
		{"contains", "  sel:\n    userAgent|contains: KALI\n  condition: sel", true},
		{"startswith", "  sel:\n    userAgent|startswith: aws-cli\n  condition: sel", true},
		{"endswith", "  sel:\n    userAgent|endswith: cli\n  condition: sel", false},
		{"contains all needs every value", "  sel:\n    userAgent|contains|all: [aws, kali]\n  condition: sel", true},
		{"contains all fails on one missing value", "  sel:\n    userAgent|contains|all: [aws, parrot]\n  condition: sel", false},
		{"wildcard star in middle", "  sel:\n    userIdentity.arn: 'arn:aws:iam::*:user/bob'\n  condition: sel", true},
		{"wildcard question mark", "  sel:\n    eventName: PutUser?olicy\n  condition: sel", true},
		{"escaped star is literal", "  sel:\n    requestParameters.path: 'C:\\x\\\\\\*y'\n  condition: sel", true},
		{"escaped star does not act as wildcard", "  sel:\n    requestParameters.path: 'C:\\x\\\\\\*'\n  condition: sel", false},
		{"re is case-sensitive", "  sel:\n    userIdentity.arn|re: ':user/bob$'\n  condition: sel", false},
		{"re with i modifier", "  sel:\n    userIdentity.arn|re|i: ':user/bob$'\n  condition: sel", true},
		{"exists true", "  sel:\n    requestParameters.userName|exists: true\n  condition: sel", true},
		{"exists false on missing field", "  sel:\n    errorCode|exists: false\n  condition: sel", true},
		{"null matches missing field", "  sel:\n    errorCode: null\n  condition: sel", true},
		{"null does not match present field", "  sel:\n    eventName: null\n  condition: sel", false},
		{"fieldref equal fields", "  sel:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: sel", true},
		{"fieldref different fields", "  sel:\n    userIdentity.arn|fieldref: requestParameters.userName\n  condition: sel", false},
		{"fieldref with endswith", "  sel:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\n  condition: sel", true},
		{"cidr", "  sel:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel", true},
		{"cidr outside", "  sel:\n    sourceIPAddress|cidr: 192.168.0.0/16\n  condition: sel", false},
		{"contains over a whole object matches a leaf", "  sel:\n    requestParameters.policyDocument|contains: 's3:getobject'\n  condition: sel", true},
		{"contains over a whole object matches its JSON text", "  sel:\n    requestParameters|contains|all:\n      - '\"s3:GetObject\"'\n      - '\"Allow\"'\n  condition: sel", true},
		{"array element matches", "  sel:\n    requestParameters.ports: 22\n  condition: sel", true},
		{"number compare", "  sel:\n    requestParameters.count|gte: 7\n  condition: sel", true},
		{"boolean value", "  sel:\n    readOnly: false\n  condition: sel", true},
		{"base64offset contains", "  sel:\n    requestParameters.enc|base64offset|contains: world\n  condition: sel", true},
		{"keywords search the raw event", "  keywords:\n    - kali\n  condition: keywords", true},
		{"not", "  sel:\n    eventName: PutUserPolicy\n  f:\n    userName: x\n  condition: sel and not f", true},
		{"parentheses and or", "  a:\n    eventName: X\n  b:\n    eventName: PutUserPolicy\n  c:\n    eventSource: iam.amazonaws.com\n  condition: (a or b) and c", true},
		{"1 of pattern", "  sel_a:\n    eventName: X\n  sel_b:\n    eventName: PutUserPolicy\n  condition: 1 of sel_*", true},
		{"all of pattern", "  sel_a:\n    eventName: X\n  sel_b:\n    eventName: PutUserPolicy\n  condition: all of sel_*", false},
		{"1 of them", "  a:\n    eventName: X\n  b:\n    eventName: PutUserPolicy\n  condition: 1 of them", true},
		{"all of them", "  a:\n    eventSource: iam.amazonaws.com\n  b:\n    eventName: PutUserPolicy\n  condition: all of them", true},
		{"condition list is OR", "  a:\n    eventName: X\n  b:\n    eventName: PutUserPolicy\n  condition:\n    - a\n    - b", true},
		{"windash", "  sel:\n    userAgent|windash|contains: 'aws/cli'\n  condition: sel", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRule(t, ruleWith(tc.det))
			if got := r.Match(ev); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown modifier", ruleWith("  sel:\n    eventName|bogus: x\n  condition: sel"), "t.yml:6:"},
		{"unknown selection in condition", ruleWith("  sel:\n    eventName: x\n  condition: sel and other"), "t.yml:7:"},
		{"bad regex", ruleWith("  sel:\n    eventName|re: '('\n  condition: sel"), "t.yml:6:"},
		{"old aggregation", ruleWith("  sel:\n    eventName: x\n  condition: sel | count() > 5"), "unsupported"},
		{"no condition", ruleWith("  sel:\n    eventName: x"), "no condition"},
		{"unbalanced parentheses", ruleWith("  sel:\n    eventName: x\n  condition: (sel"), "missing ')'"},
		{"no title", "id: x\ndetection:\n  sel: {a: b}\n  condition: sel", "no title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Parse("t.yml", []byte(tc.doc))
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("errors = %v, want one containing %q", errs, tc.want)
			}
		})
	}
	t.Run("a broken document does not stop the others", func(t *testing.T) {
		rules, errs := Parse("t.yml", []byte(ruleWith("  sel:\n    eventName|bogus: x\n  condition: sel")+"\n---\n"+ruleWith("  sel:\n    eventName: x\n  condition: sel")))
		if len(rules) != 1 || len(errs) != 1 {
			t.Errorf("rules=%d errs=%v", len(rules), errs)
		}
	})
	t.Run("unsupported is a sentinel", func(t *testing.T) {
		_, errs := Parse("t.yml", []byte(ruleWith("  sel:\n    eventName: x\n  condition: sel | count() > 5")))
		if len(errs) != 1 || !errors.Is(errs[0], ErrUnsupported) {
			t.Errorf("errors = %v", errs)
		}
	})
}

func TestIndexRunsOnlyMatchingRules(t *testing.T) {
	a := mustRule(t, ruleWith("  sel:\n    eventName: [CreateUser, DeleteUser]\n  f:\n    errorCode|exists: true\n  condition: sel and not f"))
	b := mustRule(t, ruleWith("  sel:\n    eventSource: s3.amazonaws.com\n  condition: sel"))
	c := mustRule(t, ruleWith("  sel:\n    userAgent|contains: kali\n  condition: sel"))
	d := mustRule(t, ruleWith("  a:\n    eventName: X\n  b:\n    userAgent: y\n  condition: a or b"))
	rs, errs := NewRuleSet([]*Rule{a, b, c, d})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if strings.Join(a.names, ",") != "createuser,deleteuser" {
		t.Errorf("a indexed by %v", a.names)
	}
	if strings.Join(b.sources, ",") != "s3.amazonaws.com" {
		t.Errorf("b indexed by %v", b.sources)
	}
	if len(rs.Unindexed()) != 2 {
		t.Errorf("unindexed = %d, want 2 (c and d)", len(rs.Unindexed()))
	}
	ev := mustEvent(t, `{"eventID":"1","eventName":"createUser","eventSource":"iam.amazonaws.com","userAgent":"kali"}`)
	var got []*Rule
	rs.Match(ev, func(r *Rule) { got = append(got, r) })
	if len(got) != 2 || got[0] != a || got[1] != c {
		t.Errorf("matched %d rules", len(got))
	}
}

func hitsAt(c *Correlation, specs ...string) []Hit {
	// spec: "rule-index@seconds@group@value"
	var hs []Hit
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, s := range specs {
		var ri, sec int
		var group, value string
		parts := strings.Split(s, "@")
		fmt.Sscan(parts[0], &ri)
		fmt.Sscan(parts[1], &sec)
		group, value = parts[2], parts[3]
		hs = append(hs, Hit{Rule: c.Rules[ri], Time: t0.Add(time.Duration(sec) * time.Second), EventID: fmt.Sprint(i), Group: group, Value: value, Seq: i})
	}
	return hs
}

func TestCorrelations(t *testing.T) {
	r1, r2 := &Rule{Title: "one"}, &Rule{Title: "two"}
	tests := []struct {
		name  string
		c     Correlation
		hits  []string
		fires int
	}{
		{"event_count reaches gte in window", Correlation{Type: "event_count", Op: "gte", Count: 3, Timespan: time.Minute, Rules: []*Rule{r1}}, []string{"0@0@g@", "0@10@g@", "0@20@g@"}, 1},
		{"event_count spread beyond window", Correlation{Type: "event_count", Op: "gte", Count: 3, Timespan: time.Minute, Rules: []*Rule{r1}}, []string{"0@0@g@", "0@50@g@", "0@120@g@"}, 0},
		{"event_count counts per group", Correlation{Type: "event_count", Op: "gte", Count: 2, Timespan: time.Minute, Rules: []*Rule{r1}}, []string{"0@0@a@", "0@1@b@", "0@2@c@"}, 0},
		{"event_count lt fires on a quiet window", Correlation{Type: "event_count", Op: "lt", Count: 2, Timespan: time.Minute, Rules: []*Rule{r1}}, []string{"0@0@a@", "0@100@a@", "0@110@a@"}, 1},
		{"value_count counts distinct values", Correlation{Type: "value_count", Op: "gte", Count: 3, Field: "eventName", Timespan: time.Minute, Rules: []*Rule{r1}}, []string{"0@0@g@A", "0@1@g@A", "0@2@g@B", "0@3@g@C"}, 1},
		{"value_count repeated value is one", Correlation{Type: "value_count", Op: "gte", Count: 3, Field: "eventName", Timespan: time.Minute, Rules: []*Rule{r1}}, []string{"0@0@g@A", "0@1@g@A", "0@2@g@B"}, 0},
		{"temporal any order", Correlation{Type: "temporal", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"1@0@g@", "0@30@g@"}, 1},
		{"temporal_ordered in order", Correlation{Type: "temporal_ordered", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"0@0@g@", "1@30@g@"}, 1},
		{"temporal_ordered wrong order", Correlation{Type: "temporal_ordered", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"1@0@g@", "0@30@g@"}, 0},
		{"temporal_ordered too slow", Correlation{Type: "temporal_ordered", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"0@0@g@", "1@90@g@"}, 0},
		{"temporal_ordered equal times in either order", Correlation{Type: "temporal_ordered", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"1@5@g@", "0@5@g@"}, 1},
		{"temporal_ordered each hit used once", Correlation{Type: "temporal_ordered", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"0@0@g@", "0@1@g@", "1@2@g@"}, 1},
		{"input order does not matter", Correlation{Type: "temporal_ordered", Timespan: time.Minute, Rules: []*Rule{r1, r2}}, []string{"1@30@g@", "0@0@g@"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			if c.Type == "temporal" || c.Type == "temporal_ordered" {
				c.Op, c.Count = "gte", len(c.Rules)
			}
			got := c.Evaluate(hitsAt(&c, tc.hits...))
			if len(got) != tc.fires {
				t.Errorf("fired %d times, want %d", len(got), tc.fires)
			}
		})
	}
}

func TestLoadCorpusRules(t *testing.T) {
	root := filepath.Join(corpora(t), "cloudtrail", "rules")
	tests := []struct {
		dir                 string
		minRules, corrRules int
	}{
		{"sigmahq-aws", 57, 0},
		{"suzaku-aws", 738, 5},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			rs, errs := Load([]string{filepath.Join(root, tc.dir)})
			for _, e := range errs {
				t.Error(e)
			}
			if len(rs.Rules)+len(rs.Correlations)-countBases(rs) < tc.minRules {
				t.Errorf("loaded %d rules + %d correlations", len(rs.Rules), len(rs.Correlations))
			}
			if len(rs.Correlations) != tc.corrRules {
				t.Errorf("correlations = %d, want %d", len(rs.Correlations), tc.corrRules)
			}
		})
	}
	t.Run("unsupported and placeholder folders are reported clearly", func(t *testing.T) {
		_, errs := Load([]string{filepath.Join(root, "sigmahq-aws", "_unsupported"), filepath.Join(root, "sigmahq-aws", "_placeholder")})
		if len(errs) != 8 {
			t.Errorf("errors = %d, want 8 (7 aggregation, 1 placeholder)", len(errs))
		}
		for _, e := range errs {
			if !errors.Is(e, ErrUnsupported) {
				t.Errorf("not marked unsupported: %v", e)
			}
		}
	})
}

// countBases counts detection rules that only feed correlations.
func countBases(rs *RuleSet) int {
	n := 0
	for _, c := range rs.Correlations {
		n += len(c.Correlation.Rules)
	}
	return n
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(ruleWith("  sel:\n    eventName|contains|all: [a, b]\n  f:\n    x: null\n  condition: sel and not 1 of f*")))
	f.Add([]byte("title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 2}\n"))
	if root := os.Getenv("PALISADE_CORPORA"); root != "" {
		matches, _ := filepath.Glob(filepath.Join(root, "cloudtrail", "rules", "sigmahq-aws", "*.yml"))
		for _, m := range matches {
			if data, err := os.ReadFile(m); err == nil {
				f.Add(data)
			}
		}
	}
	ev, _ := event.Decode(baseEvent)
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := Parse("fuzz.yml", data)
		for _, r := range rules {
			r.Match(ev)
		}
		_, _ = NewRuleSet(rules)
	})
}
