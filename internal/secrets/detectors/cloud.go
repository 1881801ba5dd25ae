package detectors

import (
	"strings"
)

func cloudDetectors() []Detector {
	return []Detector{
		{
			ID: "aws-access-key-id", Provider: "AWS", Title: "AWS access key id", Severity: high,
			// Key ids are 20 characters: a 4-letter type prefix and 16 base32
			// characters (A-Z, 2-7). AKIA is long-term (IAM user), ASIA temporary.
			Keywords: []string{"akia", "asia", "abia", "acca", "a3t"},
			Pattern:  `\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`,
			Check:    func(s string) bool { return !strings.HasSuffix(s, "EXAMPLE") },
			Remediation: "Deactivate and delete the access key in IAM, check CloudTrail for its use, " +
				"and move the workload to an IAM role (the checklist's goal is no IAM users).",
			TruePositives: []string{
				`aws_access_key_id = AKIAZ2ADPRQ7LOKKEBV4`,
				`"AccessKeyId": "ASIAY34FZKBOKMUTVV7A"`,
			},
			FalsePositives: []string{
				`aws_access_key_id = AKIAIOSFODNN7EXAMPLE`,
				`AKIAZ2ADPRQ7LOKKEBV41`, // 21 characters
				`akiaz2adprq7lokkebv4`,  // lower case
			},
		},
	}
}
