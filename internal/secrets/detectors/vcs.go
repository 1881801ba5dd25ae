package detectors

func vcsDetectors() []Detector {
	return []Detector{}
}
