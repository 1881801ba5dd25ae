package custom_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-sec/palisade/internal/posture/custom"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/policy.md")

// fieldsMarker starts the generated part of docs/policy.md; everything
// above it is written by hand.
const fieldsMarker = "<!-- Generated below by go test ./internal/posture/custom -update; do not edit below this line. -->\n"

func TestPolicyDocListsTheModelFields(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(fieldsMarker)
	b.WriteString("\n## Resource types\n\n`resource_types` takes these names; `resource` then has the object type shown.\n\n| resource type | object type | cloud.State field |\n|---|---|---|\n")
	for _, k := range custom.Kinds() {
		fmt.Fprintf(&b, "| `%s` | [%s](#%s) | %s |\n", k.Name, k.TypeName, anchor(k.TypeName), k.Field)
	}
	b.WriteString("\n## Object types\n\n`T?` is nullable: null when the source could not resolve the value.\n")
	for _, o := range custom.Objects() {
		fmt.Fprintf(&b, "\n### %s\n\n| field | type |\n|---|---|\n", o.Name)
		for _, f := range o.Fields {
			fmt.Fprintf(&b, "| `%s` | %s |\n", f.Name, f.Type)
		}
	}
	path := filepath.Join("..", "..", "..", "docs", "policy.md")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(old, []byte(fieldsMarker))
	if i < 0 {
		t.Fatalf("%s has no generated-part marker", path)
	}
	want := append(append([]byte(nil), old[:i]...), b.Bytes()...)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(old, want) {
		t.Errorf("docs/policy.md field list is stale; run go test ./internal/posture/custom -update")
	}
}

// anchor is the GitHub heading anchor of an object type name.
func anchor(name string) string {
	return string(bytes.ReplaceAll(bytes.ToLower([]byte(name)), []byte("."), nil))
}

func TestPolicyDocExamplesCompile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "policy.md"))
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t)
	blocks := bytes.Split(data, []byte("```yaml\n"))[1:]
	if len(blocks) < 2 {
		t.Fatalf("docs/policy.md has %d yaml examples", len(blocks))
	}
	n := 0
	for i, blk := range blocks {
		end := bytes.Index(blk, []byte("```"))
		specs, errs := custom.Parse(fmt.Sprintf("policy.md example %d", i+1), blk[:end])
		for _, err := range errs {
			t.Error(err)
		}
		for _, s := range specs {
			if _, err := env.Compile(s); err != nil {
				t.Error(err)
			}
			n++
		}
	}
	if n < 5 {
		t.Errorf("only %d example rules", n)
	}
}
