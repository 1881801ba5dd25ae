// Package deps finds vulnerable dependencies: it extracts packages from the
// lockfiles and manifests of a source tree with osv-scalibr's extractors,
// matches them against a local OSV database (see package osvdb) with the same
// version semantics as osv-scanner, and reports one finding per package and
// advisory. It also writes a CycloneDX SBOM of what it found.
package deps
