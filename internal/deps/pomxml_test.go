package deps

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/osv-scalibr/extractor/filesystem"
)

const pomHead = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
`

// TestPOMExtraction checks what palisade reads from a pom.xml: name,
// version, line, and the file error for a broken one.
func TestPOMExtraction(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    []string // "path name@version Lline", sorted
		wantErr string   // substring of the one file error, if any
	}{
		{
			name: "declared dependencies with their lines",
			files: map[string]string{"pom.xml": pomHead + `  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.14.1</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.12</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
`},
			want: []string{"pom.xml junit:junit@4.12 L13", "pom.xml org.apache.logging.log4j:log4j-core@2.14.1 L8"},
		},
		{
			name: "properties and project version are interpolated",
			files: map[string]string{"pom.xml": pomHead + `  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>3.1.0</version>
  <properties>
    <jackson.version>2.9.10</jackson.version>
    <jackson.group>com.fasterxml.jackson.core</jackson.group>
  </properties>
  <dependencies>
    <dependency>
      <groupId>${jackson.group}</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>com.example</groupId>
      <artifactId>app-core</artifactId>
      <version>${project.version}</version>
    </dependency>
  </dependencies>
</project>
`},
			want: []string{"pom.xml com.example:app-core@3.1.0 L17", "pom.xml com.fasterxml.jackson.core:jackson-databind@2.9.10 L12"},
		},
		{
			name: "dependencyManagement gives the missing version",
			files: map[string]string{"pom.xml": pomHead + `  <groupId>com.example</groupId>
  <artifactId>app</artifactId>
  <version>1.0.0</version>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.yaml</groupId>
        <artifactId>snakeyaml</artifactId>
        <version>1.26</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
    </dependency>
  </dependencies>
</project>
`},
			want: []string{"pom.xml org.yaml:snakeyaml@1.26 L17"},
		},
		{
			name: "a local parent gives properties, managed versions and dependencies",
			files: map[string]string{
				"pom.xml": pomHead + `  <groupId>com.example</groupId>
  <artifactId>parent</artifactId>
  <version>7</version>
  <packaging>pom</packaging>
  <properties><spring.version>5.2.0.RELEASE</spring.version></properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.springframework</groupId>
        <artifactId>spring-core</artifactId>
        <version>${spring.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>commons-io</groupId>
      <artifactId>commons-io</artifactId>
      <version>2.6</version>
    </dependency>
  </dependencies>
</project>
`,
				"service/pom.xml": pomHead + `  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>7</version>
  </parent>
  <artifactId>service</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.springframework</groupId>
      <artifactId>spring-core</artifactId>
    </dependency>
  </dependencies>
</project>
`,
			},
			want: []string{
				"pom.xml commons-io:commons-io@2.6 L19",
				"service/pom.xml commons-io:commons-io@2.6 L4",
				"service/pom.xml org.springframework:spring-core@5.2.0.RELEASE L11",
			},
		},
		{
			name: "a parent that is another project is not merged",
			files: map[string]string{
				"pom.xml": pomHead + `  <groupId>com.other</groupId>
  <artifactId>other</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties><v>9.9</v></properties>
</project>
`,
				"child/pom.xml": pomHead + `  <parent>
    <groupId>org.acme</groupId>
    <artifactId>bom</artifactId>
    <version>3</version>
  </parent>
  <artifactId>child</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.acme</groupId>
      <artifactId>lib</artifactId>
      <version>${v}</version>
    </dependency>
    <dependency>
      <groupId>org.acme</groupId>
      <artifactId>util</artifactId>
      <version>4.0</version>
    </dependency>
  </dependencies>
</project>
`,
			},
			want: []string{"child/pom.xml org.acme:util@4.0 L16"},
		},
		{
			name: "a version range reports its lower bound",
			files: map[string]string{"pom.xml": pomHead + `  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
      <version>[30.0-jre,31.0-jre)</version>
    </dependency>
  </dependencies>
</project>
`},
			want: []string{"pom.xml com.google.guava:guava@30.0-jre L6"},
		},
		{
			name:  "ISO-8859-1 is decoded",
			files: map[string]string{"pom.xml": "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<project>\n  <name>Caf\xe9</name>\n  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>\n  <dependencies>\n    <dependency><groupId>x</groupId><artifactId>y</artifactId><version>2</version></dependency>\n  </dependencies>\n</project>\n"},
			want:  []string{"pom.xml x:y@2 L6"},
		},
		{
			name:    "broken XML is a file error naming the line",
			files:   map[string]string{"pom.xml": pomHead + "  <dependencies>\n    <dependency>\n      <groupId>x</groupId\n  </dependencies>\n</project>\n"},
			wantErr: "pom.xml: java/pomxml: line 7:",
		},
		{
			name: "a cycle of parents is a file error",
			files: map[string]string{
				"a/pom.xml": pomHead + "  <parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version><relativePath>../b/pom.xml</relativePath></parent>\n  <artifactId>a</artifactId><packaging>pom</packaging>\n</project>\n",
				"b/pom.xml": pomHead + "  <parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>../a/pom.xml</relativePath></parent>\n  <artifactId>b</artifactId><packaging>pom</packaging>\n</project>\n",
			},
			wantErr: "a cycle of parents",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			pkgs, errs, err := Extract(context.Background(), dir, ExtractOptions{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pkgs {
				if p.Ecosystem != "Maven" || p.Extractor != pomName {
					t.Errorf("%s: ecosystem %q extractor %q", p.Name, p.Ecosystem, p.Extractor)
				}
				got = append(got, fmt.Sprintf("%s %s@%s L%d", p.Path, p.Name, p.Version, p.Line))
			}
			sort.Strings(got)
			if tc.wantErr == "" {
				if len(errs) > 0 {
					t.Fatalf("file errors: %v", errs)
				}
			} else {
				if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.wantErr) {
					t.Fatalf("file errors %v, want one containing %q", errs, tc.wantErr)
				}
				return
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// FuzzPOM feeds arbitrary bytes to the POM reader as a module with a parent
// beside it: it may return an error naming a line, never panic or loop.
func FuzzPOM(f *testing.F) {
	f.Add([]byte(pomHead+"  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>\n  <dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>${v}</version></dependency></dependencies>\n</project>\n"),
		[]byte(pomHead+"  <groupId>g</groupId><artifactId>p</artifactId><version>1</version><packaging>pom</packaging>\n  <properties><v>2</v></properties>\n</project>\n"))
	f.Add([]byte("<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent><profiles><profile><activation><activeByDefault>true</activeByDefault></activation><dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>[1,2)</version></dependency></dependencies></profile></profiles></project>"),
		[]byte("<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version><relativePath>../pom.xml</relativePath></parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version><packaging>pom</packaging></project>"))
	f.Fuzz(func(t *testing.T, child, parent []byte) {
		fsys := fstest.MapFS{
			"m/pom.xml": &fstest.MapFile{Data: child},
			"pom.xml":   &fstest.MapFile{Data: parent},
		}
		inv, err := pomExtractor{}.Extract(context.Background(), &filesystem.ScanInput{FS: fsys, Path: "m/pom.xml", Reader: bytes.NewReader(child)})
		if err != nil && !strings.Contains(err.Error(), "line ") && !strings.Contains(err.Error(), "parent") && !strings.Contains(err.Error(), "profiles") && !strings.Contains(err.Error(), "interpolate") {
			t.Fatalf("error names no line: %v", err)
		}
		for _, p := range inv.Packages {
			if p.Name == "" {
				t.Fatalf("package without a name: %+v", p)
			}
		}
	})
}
