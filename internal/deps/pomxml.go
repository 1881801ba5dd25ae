package deps

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"deps.dev/util/maven"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/javalockfile"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"
	"golang.org/x/net/html/charset"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
)

// pomName is the extractor name palisade reports for Maven POMs. It is the
// name osv-scalibr uses, so stored findings keep their extractor.
const pomName = "java/pomxml"

// maxParents bounds how many local parent POMs one project may inherit from.
const maxParents = 32

// pomExtractor reads a Maven pom.xml (or *.pom): the dependencies the project
// declares, with versions filled from its properties, its
// dependencyManagement and the parent POMs found in the scanned tree.
//
// palisade has its own rather than osv-scalibr's: that one links scalibr's
// Maven registry client and through it gRPC, whose html/template use turns
// off the Go linker's removal of unused methods. With it the binary was
// 184 MB and started at 80 to 90 MB of memory; without it, 76 MB and under
// 60 MB. Parents and BOM imports outside the tree are not fetched (no
// network): a version they alone would give stays unknown.
type pomExtractor struct{}

// newPomExtractor has the shape of osv-scalibr's extractor constructors so
// it sits in the same list.
func newPomExtractor(*cpb.PluginConfig) (filesystem.Extractor, error) { return pomExtractor{}, nil }

// Name implements extractor.Extractor.
func (pomExtractor) Name() string { return pomName }

// Version implements extractor.Extractor.
func (pomExtractor) Version() int { return 0 }

// Requirements implements extractor.Extractor: it needs nothing special.
func (pomExtractor) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

// FileRequired implements filesystem.Extractor.
func (pomExtractor) FileRequired(api filesystem.FileAPI) bool {
	p := api.Path()
	return path.Base(p) == "pom.xml" || path.Ext(p) == ".pom"
}

// Extract implements filesystem.Extractor.
func (pomExtractor) Extract(ctx context.Context, input *filesystem.ScanInput) (inventory.Inventory, error) {
	content, err := io.ReadAll(input.Reader)
	if err != nil {
		return inventory.Inventory{}, fmt.Errorf("read: %w", err)
	}
	project, err := decodePOM(content)
	if err != nil {
		return inventory.Inventory{}, err
	}
	raw := pomDependencyLines(content)
	if err := project.MergeProfiles("", maven.ActivationOS{}); err != nil {
		return inventory.Inventory{}, fmt.Errorf("merge profiles: %w", err)
	}
	if err := mergeLocalParents(ctx, input, &project); err != nil {
		return inventory.Inventory{}, err
	}
	if err := project.Interpolate(); err != nil {
		return inventory.Inventory{}, fmt.Errorf("interpolate properties: %w", err)
	}
	// BOM imports would need the registry; without it they add nothing.
	project.ProcessDependencies(func(_, _, _ maven.String) (maven.DependencyManagement, error) {
		return maven.DependencyManagement{}, errors.New("imports are not fetched")
	})

	// Two elements may name one package with another type or classifier;
	// the last one written is reported, at its own line.
	var inv inventory.Inventory
	at := map[string]int{}
	used := map[int]bool{}
	for _, dep := range project.Dependencies {
		name := dep.Name()
		md := &javalockfile.Metadata{
			GroupID:      string(dep.GroupID),
			ArtifactID:   string(dep.ArtifactID),
			Classifier:   string(dep.Classifier),
			DepGroupVals: []string{},
		}
		if dep.Type != "" && dep.Type != "jar" {
			md.Type = string(dep.Type)
		}
		if scope := strings.TrimSpace(string(dep.Scope)); scope != "" && scope != "compile" {
			md.DepGroupVals = []string{scope}
		}
		pkg := &extractor.Package{
			Name:     name,
			Version:  pinnedMavenVersion(string(dep.Version)),
			PURLType: purl.TypeMaven,
			Location: extractor.LocationFromPathAndLine(input.Path, raw.lineOf(md.GroupID, md.ArtifactID, used)),
			Metadata: md,
		}
		if i, ok := at[name]; ok {
			inv.Packages[i] = pkg
			continue
		}
		at[name] = len(inv.Packages)
		inv.Packages = append(inv.Packages, pkg)
	}
	return inv, nil
}

// decodePOM parses a POM, naming the line of a syntax error.
func decodePOM(content []byte) (maven.Project, error) {
	var project maven.Project
	dec := newPOMDecoder(bytes.NewReader(content))
	if err := dec.Decode(&project); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return maven.Project{}, fmt.Errorf("line %d: %s", se.Line, se.Msg)
		}
		line := 1 + bytes.Count(content[:min(int(dec.InputOffset()), len(content))], []byte("\n"))
		return maven.Project{}, fmt.Errorf("line %d: %w", line, err)
	}
	return project, nil
}

// newPOMDecoder reads XML in the charset the document declares; POMs are
// often ISO-8859-1, and some use HTML entities such as &nbsp;.
func newPOMDecoder(r io.Reader) *xml.Decoder {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = charset.NewReaderLabel
	dec.Entity = xml.HTMLEntity
	return dec
}

// mergeLocalParents merges the chain of parent POMs that sit in the scanned
// tree (at <relativePath>, by default ../pom.xml), as Maven does before it
// builds the effective POM. A parent that is not there, or is another
// project, ends the chain.
func mergeLocalParents(ctx context.Context, input *filesystem.ScanInput, project *maven.Project) error {
	current := project.Parent
	here := input.Path
	visited := map[maven.ProjectKey]bool{}
	for range maxParents {
		if err := ctx.Err(); err != nil {
			return err
		}
		if current.GroupID == "" || current.ArtifactID == "" || current.Version == "" {
			return nil
		}
		if visited[current.ProjectKey] {
			return fmt.Errorf("parent %s:%s:%s: a cycle of parents", current.GroupID, current.ArtifactID, current.Version)
		}
		visited[current.ProjectKey] = true
		parentPath := localParentPath(input.FS, here, string(current.RelativePath))
		if parentPath == "" {
			return nil
		}
		if info, err := fs.Stat(input.FS, parentPath); err == nil && info.Size() > MaxLockfileSize {
			return fmt.Errorf("parent %s: %d bytes, over the %d byte limit", parentPath, info.Size(), MaxLockfileSize)
		}
		content, err := fs.ReadFile(input.FS, parentPath)
		if err != nil {
			return fmt.Errorf("parent %s: %w", parentPath, err)
		}
		parent, err := decodePOM(content)
		if err != nil {
			return fmt.Errorf("parent %s: %w", parentPath, err)
		}
		if effectiveKey(parent) != current.ProjectKey || parent.Packaging != "pom" {
			return nil
		}
		if err := parent.MergeProfiles("", maven.ActivationOS{}); err != nil {
			return fmt.Errorf("parent %s: merge profiles: %w", parentPath, err)
		}
		project.MergeParent(parent)
		current, here = parent.Parent, parentPath
	}
	return fmt.Errorf("more than %d parent POMs", maxParents)
}

// effectiveKey is a project's coordinates, with the group and version it
// inherits from its parent when it does not name its own.
func effectiveKey(p maven.Project) maven.ProjectKey {
	k := p.ProjectKey
	if k.GroupID == "" {
		k.GroupID = p.Parent.GroupID
	}
	if k.Version == "" {
		k.Version = p.Parent.Version
	}
	return k
}

// localParentPath resolves a <relativePath> against the POM at from: a
// file, or a folder holding pom.xml. It returns "" when there is none.
func localParentPath(fsys fs.FS, from, relative string) string {
	if relative == "" {
		relative = "../pom.xml"
	}
	p := path.Join(path.Dir(from), strings.ReplaceAll(relative, "\\", "/"))
	if p == ".." || strings.HasPrefix(p, "../") || !fs.ValidPath(p) {
		return ""
	}
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return ""
	}
	if !info.IsDir() {
		return p
	}
	p = path.Join(p, "pom.xml")
	if _, err := fs.Stat(fsys, p); err != nil {
		return ""
	}
	return p
}

// pinnedMavenVersion is the version a requirement names: "1.2" as written,
// the lower bound of a range such as "[1.2,2.0)", "" when there is none.
func pinnedMavenVersion(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimLeft(v, "[(")
	if i := strings.IndexAny(v, ",)]"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// rawDependency is a <dependency> element of the project's own
// <dependencies>, as written (before interpolation), with its line.
type rawDependency struct {
	groupID, artifactID string
	line                int
}

// pomLines holds where dependencies are written in a POM.
type pomLines struct {
	deps []rawDependency
	// parentLine is the line of <parent>, where inherited dependencies come
	// from; 0 when there is none.
	parentLine int
}

// lineOf returns the line of the first unused dependency element naming
// group:artifact, then of one whose coordinates hold a ${property}, then the
// parent's line, else 0. used marks the elements already given out.
func (l pomLines) lineOf(group, artifact string, used map[int]bool) int {
	for i, d := range l.deps {
		if !used[i] && d.groupID == group && d.artifactID == artifact {
			used[i] = true
			return d.line
		}
	}
	for i, d := range l.deps {
		if !used[i] && strings.Contains(d.groupID+d.artifactID, "${") {
			used[i] = true
			return d.line
		}
	}
	return l.parentLine
}

// pomDependencyLines finds the lines of project/dependencies/dependency and
// project/profiles/profile/dependencies/dependency elements and of
// project/parent. It reads as far as the XML is well formed.
func pomDependencyLines(content []byte) pomLines {
	var out pomLines
	dec := newPOMDecoder(bytes.NewReader(content))
	lineAt := func(off int64) int {
		return 1 + bytes.Count(content[:min(int(off), len(content))], []byte("\n"))
	}
	var stack []string
	var cur *rawDependency
	var field string
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			p := strings.Join(stack, "/")
			switch {
			case p == "project/parent":
				out.parentLine = lineAt(off)
			case p == "project/dependencies/dependency" || p == "project/profiles/profile/dependencies/dependency":
				cur = &rawDependency{line: lineAt(off)}
			case cur != nil && len(stack) >= 2 && stack[len(stack)-2] == "dependency":
				field = t.Name.Local
			}
		case xml.CharData:
			if cur != nil {
				switch field {
				case "groupId":
					cur.groupID += strings.TrimSpace(string(t))
				case "artifactId":
					cur.artifactID += strings.TrimSpace(string(t))
				}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return out
			}
			if t.Name.Local == "dependency" && cur != nil && len(stack) >= 2 && stack[len(stack)-2] == "dependencies" {
				out.deps = append(out.deps, *cur)
				cur = nil
			}
			field = ""
			stack = stack[:len(stack)-1]
		}
	}
}
