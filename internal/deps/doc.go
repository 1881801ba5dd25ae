// Package deps finds vulnerable dependencies: it extracts packages from the
// lockfiles and manifests of a source tree with osv-scalibr's extractors
// (and its own for Maven POMs, see pomExtractor),
// marks them direct or transitive where the format (or the manifest beside
// the lockfile) says, matches them against a local OSV database (see package
// osvdb) with the same version semantics as osv-scanner, and reports one
// finding per package and advisory. It also writes a CycloneDX SBOM of what
// it found and, online and on request, reports how far direct dependencies
// lag their registry's latest release (see CheckOutdated and package
// registry).
package deps
