// Package hygiene holds the repository hygiene test: every Go file is
// gofmt-formatted, every package has a doc comment, and every to-do comment names an
// issue. It has no code of its own.
package hygiene
