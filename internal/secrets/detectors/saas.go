package detectors

func saasDetectors() []Detector {
	return []Detector{}
}
