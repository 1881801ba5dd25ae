package detectors

import (
	"strings"
)

// azureEmulatorKey is the well-known account key of the Azure Storage
// emulator (Azurite, account devstoreaccount1), published in Microsoft's
// documentation; it grants nothing.
const azureEmulatorKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

const uuidPattern = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

func cloudDetectors() []Detector {
	return []Detector{
		// ---- AWS ----
		{
			ID: "aws-access-key-id", Provider: "AWS", Title: "AWS access key id", Severity: high,
			// Key ids are 20 characters: a 4-character type prefix and 16
			// base32 characters (A-Z, 2-7). AKIA is long-term (IAM user),
			// ASIA temporary (STS), ABIA an STS service bearer token, ACCA a
			// context-specific credential; A3T was an early prefix.
			Keywords: []string{"akia", "asia", "abia", "acca", "a3t"},
			Pattern:  `\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`,
			Check: func(s string) bool {
				// AWS documentation writes key ids with EXAMPLE anywhere in them
				// (AKIAIOSFODNN7EXAMPLE, AKIAEXAMPLEPBUMBC3GA).
				return !strings.Contains(s, "EXAMPLE") && !strings.Contains(s, "XXXXXXXX")
			},
			Remediation: "Deactivate and delete the access key in IAM, check CloudTrail for its use, " +
				"and move the workload to an IAM role (the checklist's goal is no IAM users).",
			TruePositives: []string{
				`aws_access_key_id = AKIAZ2ADPRQ7LOKKEBV4`,
				`"AccessKeyId": "ASIAY34FZKBOKMUTVV7A"`,
				"export AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n",
				`{"config.ini": "AWS_TOKEN=AKIALALEMEL33243OLIB\nBACKUP_ENABLED=true"}`,
			},
			FalsePositives: []string{
				`aws_access_key_id = AKIAIOSFODNN7EXAMPLE`,
				`X-Amz-Credential=AKIAEXAMPLEPBUMBC3GA%2F20170824%2Fus-west-2%2Fs3%2Faws4_request`,
				`AKIAZ2ADPRQ7LOKKEBV41`, // 21 characters
				`akiaz2adprq7lokkebv4`,  // lower case
				`key = AKIAXXXXXXXXXXXXXXXX`,
				`TODAYINASIAASACKOFRICEFELLOVER`,
				`AKIAZ2ADPRQ7LOKKEB01`, // 0 and 1 are not base32
			},
		},
		{
			ID: "aws-secret-access-key", Provider: "AWS", Title: "AWS secret access key", Severity: critical,
			// A secret access key is 40 characters of base64 alphabet with no
			// prefix, so it is only recognised next to a key name that says
			// what it is, and only when it looks random.
			Keywords: []string{"aws", "secretaccesskey", "secret_access_key", "secret-access-key"},
			Lines:    1,
			Pattern: keyed(`aws[\w.\-]{0,24}?(?:secret|key|token|pass|pwd|pw)|secret[_\-]?access[_\-]?key`,
				`[A-Za-z0-9/+]{40}`),
			MinEntropy: 4.0, Placeholders: true,
			Check: func(s string) bool { return !strings.Contains(s, "EXAMPLE") },
			Remediation: "Deactivate and delete the access key in IAM, review CloudTrail for its use, " +
				"and replace it with an IAM role or short-lived credentials.",
			TruePositives: []string{
				`aws_secret_access_key = Zl0SxTq8T1x3QwbbX0j+V4LsqlN+Kj8RfFz2Ea0a`,
				"AWS_SECRET_ACCESS_KEY=\"9dLw3mPqR0tYb7N/s2XkV+8cJh4Gf1ZaQeW6uLo5\"\n",
				`"SecretAccessKey": "hK2m9Qp0Lr7vXw3ZbN8sT+c4Yd1Fg6JaUe5Io/Ry",`,
				`aws.secretKey: J1TWDtkwtDDb/xHKas1VOqg6YYZYn9ZhyiA4uoRg`,
			},
			FalsePositives: []string{
				`aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
				`aws_secret_access_key = Zl0SxTq8T1x3QwbbX0j+V4LsqlN+Kj8RfFz2Ea0aX`, // 41 characters
				`aws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}`,
				`aws_region = "eu-west-1"`,
			},
		},
		{
			ID: "aws-session-token", Provider: "AWS", Title: "AWS session token", Severity: high,
			// Session tokens from STS are long base64 blobs (hundreds of
			// characters) without a stable prefix; found by their key name.
			Keywords: []string{"session_token", "sessiontoken", "session-token", "security_token", "security-token"},
			Lines:    1,
			Pattern: keyed(`(?:aws|amz)?[_\-.]?(?:session|security)[_\-]?token`,
				`[A-Za-z0-9/+]{100,}={0,2}`),
			MinEntropy: 4.5, Placeholders: true,
			Remediation: "Session tokens expire, but revoke the role's active sessions in IAM if the token " +
				"is still valid, and find how it was written to a file.",
			TruePositives: []string{
				`aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD3kE7bXrq2XuZ9m0VmH2d1pQ8f5Lc1KzYVh3tWnZ0GxwIgXk5P4r8bJ0Yt9Lq2NvR3cF7sD1aW6mZ4Hu0pTj5oQk8q6wIIw//////////ARAAGgw1NTQ2NDk3NjgxMzEiDC9d8mPvs5yKfT3HnyrLArqNs`,
				`"SessionToken": "FwoGZXIvYXdzEJr//////////wEaDPa5mGv1pD4yHq2wXyKrAcY8Zx3fQe7Tn9bLk2Vr0sM1hJ5uWc6gN4oR8tPzA3iE7yD2lXbKv9qFj0wS5mUe1nH3aG6rTc8dLp4yZk2o7bVx5fWq9sJ"`,
			},
			FalsePositives: []string{
				`aws_session_token = ${AWS_SESSION_TOKEN}`,
				`aws_session_token = short0123456789`,
			},
		},
		{
			ID: "aws-bedrock-api-key-long-lived", Provider: "AWS", Title: "Amazon Bedrock long-term API key", Severity: high,
			// Long-term Bedrock API keys are "ABSK" followed by base64 of
			// "BedrockAPIKey-<id>-at-<account>:<secret>".
			Keywords: []string{"absk"},
			Pattern:  `\b(ABSKQmVkcm9ja0FQSUtleS[0-9A-Za-z+/]{40,400}={0,2})` + valueEnd,
			Check:    func(s string) bool { return !strings.Contains(s, "EXAMPLE") },
			Remediation: "Delete the Bedrock API key (it is an IAM service-specific credential) and use " +
				"short-term keys or IAM roles.",
			TruePositives: []string{
				`bedrock_api_token = "ABSKQmVkcm9ja0FQSUtleS1d9o0o8xxp4lzjfvoke6a4bknxpkws2t4ic9srbzt7gxpmpgbhwtmbdbz6zba3eou71o0h59ir1gpb95o6bdsa5jk7qdkw9us4l4770655tfm="`,
				"AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleS1hYmNkLWF0LTEyMzQ1Njc4OTAxMjpRd2VydHlVaW9wQXNkZmdoamtsWnhjdmJubTEyMzQ1Njc4OTA=\n",
			},
			FalsePositives: []string{
				`ABSKQmVkcm9ja0FQSUtleS1EXAMPLE`,
				`AXSKQmVkcm9ja0FQSUtleS1d9o0o8xxp4lzjfvoke6a4bknxpkws2t4ic9srbzt7gxpmpgbhwtmbdbz6zba3eou71o0h59ir1gpb95o6bdsa5jk7qdkw9us4l4770655tfm=`,
				`ABSKQmVkcm9ja0FQSUtleS1EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE=`,
			},
		},
		{
			ID: "aws-bedrock-api-key-short-lived", Provider: "AWS", Title: "Amazon Bedrock short-term API key", Severity: medium,
			// Short-term Bedrock API keys are "bedrock-api-key-" followed by
			// base64 of a presigned URL that starts "bedrock.amazonaws.com".
			Keywords: []string{"bedrock-api-key-"},
			Pattern:  `\b(bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[0-9A-Za-z+/=%&]*)`,
			Remediation: "The key expires with the session that made it (12 hours at most); remove it " +
				"from the file and rotate the credentials of the principal that created it.",
			TruePositives: []string{
				`AWS_BEARER_TOKEN_BEDROCK="bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbiZYLUFtei1BbGdvcml0aG09"`,
				`token: bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t`,
			},
			FalsePositives: []string{
				`bedrock-api-key-`,
				`bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29x`,
			},
		},

		// ---- Google Cloud ----
		{
			ID: "gcp-api-key", Provider: "Google Cloud", Title: "Google API key", Severity: high,
			// API keys are "AIza" and 35 characters of [0-9A-Za-z_-].
			Keywords: []string{"aiza"},
			Pattern:  `\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)`,
			Check: func(s string) bool {
				return notPlaceholder(s) && !firebaseSDKTestKey(s)
			},
			Remediation: "Delete or regenerate the key in the Google Cloud console (APIs & Services > " +
				"Credentials) and restrict new keys by API and referrer.",
			TruePositives: []string{
				`gcpToken="AIza5ciah0J4c3Y7azT5nx5Chic4epokxeU0GMo"`,
				"GOOGLE_API_KEY=AIzaSyB3kLm9Qp0Rt7Vw2Xy4Zb8Nc1Df6Gh5JkL\n",
				`<string name="google_maps_key">AIzaSyC7q2Lx9Vb4Nm0Pw8Rt3Ys6Uk1Zh5Je_d-</string>`,
			},
			FalsePositives: []string{
				`AIzaTesb6Tscfcni8vIpWZqNCXFDFslJtVSvFDqabcd123`, // too long
				`apiKey: "AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`,
				`AIZASYCO2CXRMC9ELSKLHLHRMBSWDEVEDZTLO2O`,
				`AIzaSyabcdefghijklmnopqrstuvwxyz1234567`,
				`const String KEY = "AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g";`, // Firebase SDK test key
				`GWw4hjABFzZCGiRpmlDyDdo87Jn9BN9THUA47muVRNunLxsa82tMAdvmrhOqNkRKiYMEAFbTJAIzaTesb6Tscfcni8vIpWZqNCXF`,
			},
		},
		{
			ID: "gcp-service-account-key", Provider: "Google Cloud", Title: "Google Cloud service account key file", Severity: critical,
			// A service-account key file is JSON with "type":
			// "service_account" and the PEM private key in "private_key".
			Keywords:    []string{"service_account"},
			Lines:       30,
			LinesBefore: 30,
			Pattern:     `"private_key"\s*:\s*"(?P<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\n|\\r|[A-Za-z0-9+/=])+-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)"`,
			Check:       func(s string) bool { return len(s) > 200 },
			Remediation: "Delete the key in IAM > Service accounts > Keys, check the audit logs for its " +
				"use, and prefer workload identity federation to key files.",
			TruePositives: []string{
				"{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod\",\n  \"private_key_id\": \"3f1c2a9b7e\",\n" +
					"  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\\n-----END PRIVATE KEY-----\\n\",\n" +
					"  \"client_email\": \"deploy@acme-prod.iam.gserviceaccount.com\"\n}",
			},
			FalsePositives: []string{
				"{\n  \"type\": \"service_account\",\n  \"private_key\": \"${GCP_PRIVATE_KEY}\"\n}",
				"{\n  \"type\": \"service_account\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n\"\n}",
			},
		},
		{
			ID: "gcp-oauth-client-secret", Provider: "Google Cloud", Title: "Google OAuth client secret", Severity: high,
			// OAuth client secrets created since 2021 are "GOCSPX-" and 28
			// characters of [0-9A-Za-z_-].
			Keywords: []string{"gocspx-"},
			Pattern:  `\b(GOCSPX-[0-9A-Za-z_\-]{28})(?:[^0-9A-Za-z_\-]|$)`,
			Check:    notPlaceholder,
			Remediation: "Reset the client secret in the Google Cloud console (APIs & Services > " +
				"Credentials) and update the applications that use it.",
			TruePositives: []string{
				`"client_secret": "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"`,
				"GOOGLE_CLIENT_SECRET=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\n",
			},
			FalsePositives: []string{
				`GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`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extra`,
			},
		},

		// ---- Azure ----
		{
			ID: "azure-service-bus-shared-access-key", Provider: "Azure", Title: "Azure Service Bus, Event Hubs or Relay shared access key", Severity: critical,
			// Connection strings of Service Bus, Event Hubs, Relay and IoT Hub
			// carry "SharedAccessKey=" and a 256-bit key in base64 (44
			// characters ending in "=").
			Keywords:    []string{"sharedaccesskey="},
			Pattern:     `(?i:SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{43}=)(?:[^A-Za-z0-9+/=]|$)`,
			MinEntropy:  4,
			Check:       notPlaceholder,
			Remediation: "Regenerate the key of that shared access policy (the namespace's Shared access policies page, or az servicebus namespace authorization-rule keys renew) and move clients to Microsoft Entra ID or managed identities.",
			TruePositives: []string{
				`"Endpoint=sb://acme-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=ksnRH9ucAUsdMlHUvTCQCyEZDz/TddJ8HyS5SUkCnD8="`,
			},
			FalsePositives: []string{
				`Endpoint=sb://acme-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=<your-key>`,
				`SharedAccessKey=ksnRH9ucAUsdMlHUvTCQCyEZDz/Tdd=`, // too short
			},
		},
		{
			ID: "gcp-oauth-refresh-token", Provider: "Google Cloud", Title: "Google OAuth refresh token", Severity: high,
			// Google's long-lived OAuth refresh tokens start "1//0" and run to
			// about a hundred URL-safe base64 characters (authorized_user
			// credential files, gcloud and client library caches).
			Keywords:     []string{"1//0"},
			Pattern:      `(?:^|[^0-9A-Za-z_/])(?P<secret>1//0[0-9A-Za-z_\-]{60,200})(?:[^0-9A-Za-z_\-]|$)`,
			MinEntropy:   4,
			Placeholders: true,
			Remediation:  "Revoke the grant (myaccount.google.com > Security > Third-party access, or the OAuth client's token revocation endpoint) and keep user credentials out of source control.",
			TruePositives: []string{
				`{"type": "authorized_user", "client_id": "1234.apps.googleusercontent.com", "refresh_token": "1//0jORS-6ilI8ihN5KXSc7Tvo-hBKqFYY-kv5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po_799N"}`,
			},
			FalsePositives: []string{
				`"refresh_token": "1//0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`,
				`url := "file:///1//0abc"`,
			},
		},
		{
			ID: "azure-storage-account-key", Provider: "Azure", Title: "Azure storage or Cosmos DB account key in a connection string", Severity: critical,
			// Account keys are 64 random bytes in base64: 86 characters and "==".
			Keywords: []string{"accountkey", "account_key", "account-key"},
			Lines:    1,
			Pattern:  keyed(`account[_\-]?key`, `[A-Za-z0-9+/]{86}==`),
			Check:    func(s string) bool { return s != azureEmulatorKey },
			Remediation: "Rotate the account key (Storage account > Access keys, or Cosmos DB > Keys), " +
				"then move clients to Microsoft Entra ID authentication or a managed identity.",
			TruePositives: []string{
				`AccountKey=lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z+qnlcNQSnIYVTkLWntUO1F8j8rQ==`,
				`"DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=9u0NkjrtgDsrRVvRJ2zpDGJ3v9m6prNpiinCJgpfShTW3vHwyardLJAuZ5L2S+Tl1ddU13hmEiGC9aItANkacw==;EndpointSuffix=core.windows.net"`,
				`AccountEndpoint=https://acme.documents.azure.com:443/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==;`,
			},
			FalsePositives: []string{
				`AccountKey=` + azureEmulatorKey,
				`AccountKey=lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z+q==`, // too short
				`AccountKey={storage_key}`,
			},
		},
		{
			ID: "azure-apim-git-password", Provider: "Azure", Title: "Azure API Management Git repository password", Severity: high,
			// The password of an API Management instance's configuration
			// Git repository: "git&", its expiry as yyyyMMddHHmm, "&", and
			// an HMAC-SHA512 signature in base64 (86 characters and "==").
			Keywords: []string{"git&"},
			Pattern:  `(?:^|[^A-Za-z0-9_])(?P<secret>git&[0-9]{12}&[A-Za-z0-9+/]{86}==)(?:[^A-Za-z0-9+/=]|$)`,
			Remediation: "Regenerate the instance's primary or secondary key (API Management > Management API), which " +
				"invalidates passwords signed with it, and keep the new password in a secret manager.",
			TruePositives: []string{
				"AZURE_URL=https://acme.scm.azure-api.net\nPASSWORD=git&202612011200&SSUuPTSR4KTtXzSSc/wSSMRCgbO8lobXsVeylL4kiAmxex9BlvMy1OyrV1iY+3h8cKOPKjRsl+9zuo47vVlqKw==",
				`<secret>git&202701150930&SSUuPTSR4KTtXzSSc/wSSMRCgbO8lobXsVeylL4kiAmxex9BlvMy1OyrV1iY+3h8cKOPKjRsl+9zuo47vVlqKw==</secret>`,
			},
			FalsePositives: []string{
				// The expiry cut to a date; the signature one character short.
				`PASSWORD=git&20261201&SSUuPTSR4KTtXzSSc/wSSMRCgbO8lobXsVeylL4kiAmxex9BlvMy1OyrV1iY+3h8cKOPKjRsl+9zuo47vVlqKw==`,
				`PASSWORD=git&202612011200&SSUuPTSR4KTtXzSSc/wSSMRCgbO8lobXsVeylL4kiAmxex9BlvMy1OyrV1iY+3h8cKOPKjRsl+9zuo47vVlqKw=`,
			},
		},
		{
			ID: "azure-container-registry-password", Provider: "Azure", Title: "Azure Container Registry password or token", Severity: high,
			// Registry admin passwords and token passwords are 52 base64
			// characters with the signature "+ACR" at characters 43 to 46.
			Keywords:    []string{"+acr"},
			Pattern:     `(?:^|[^A-Za-z0-9+/])(?P<secret>[A-Za-z0-9+/]{42}\+ACR[A-Za-z0-9+/]{6})(?:[^A-Za-z0-9+/=]|$)`,
			Check:       notPlaceholder,
			Remediation: "Regenerate the password (Container registry > Access keys, or the token's passwords) and use managed identities or service principals for pulls.",
			TruePositives: []string{
				`docker login dvacr00.azurecr.io -u dvacr00 -p Ljc+1lq0U0+c3jHlMHxSxAhCipKt6zU43HfMle/Ymj+ACRAKcPHy`,
				`ACR_PASSWORD="s3cEZKH3yytiVnJ3h+eI3qhhzf9l1vNwEi1+q+WGdd+ACRCZ7JD6"`,
			},
			FalsePositives: []string{
				`Ljc+1lq0U0+c3jHlMHxSxAhCipKt6zU43HfMle/Ymj+ACRAKcPHyXX`, // too long
				`FOO+ACRONYM`,
			},
		},
		{
			ID: "azure-entra-refresh-token", Provider: "Azure", Title: "Microsoft Entra ID refresh token", Severity: high,
			// Refresh tokens are "0.A" or "1.A" and a base64url client
			// block, ".", and an encrypted blob starting "AgAB".
			Keywords:    []string{".agab"},
			Pattern:     `(?:^|[^0-9A-Za-z_\-.])(?P<secret>[01]\.A[0-9A-Za-z_\-]{40,}\.AgAB[0-9A-Za-z_\-]{100,})`,
			Remediation: "Revoke the user's sessions (Revoke-MgUserSignInSession or the Entra admin center) so the refresh token stops working.",
			TruePositives: []string{
				` "refresh_token": "1.AVEAPn9m_nUaQ0iPPuqFsWAkYjIyPGgTIDFBgPvLEoUSLQVRAG5RAA.AgABAwEAAADW6jl31mB3T7ugrWTT8pFeAwDj_wUA9P8ZsxEzkXInsWHkCylMQMSSKto-NoegPmNj0uIemgAvX2c5Lw8pQk3Rt7Vb0Nm4Kd8Gf1Ae3Io0Uy2Wq7Er4Ty9Ui1Op6As3Df8Gh5Jk2Lz0Xc7Vb4Nm1Qw6Er3"`,
			},
			FalsePositives: []string{`1.AVEAPn9m.AgABshort`},
		},
		{
			ID: "aws-appsync-api-key", Provider: "AWS", Title: "AWS AppSync API key", Severity: medium,
			// AppSync API keys are "da2-" and 26 lower-case alphanumerics.
			Keywords:    []string{"da2-"},
			Pattern:     `\b(da2-[0-9a-z]{26})\b`,
			Check:       notPlaceholder,
			Remediation: "Delete the API key in the AppSync console (Settings > API keys) and prefer IAM or Cognito authorization.",
			TruePositives: []string{
				`const key = "da2-k7qx2m9pl4zt8wb3rn6yc1vd5h";`,
			},
			FalsePositives: []string{`const key = "da2-abcdefghijklmnopqrstuvwxyz";`, `da2-xxxxxxxxxxxxxxxxxxxxxxxxxx`, `da2-k7qx2m9pl4zt8wb3rn6yc1vd5hq`},
		},
		{
			ID: "azure-sas-token", Provider: "Azure", Title: "Azure shared access signature", Severity: high,
			// A SAS is a set of URL query parameters: sv= (service version)
			// and the HMAC signature sig=.
			Keywords: []string{"sig="},
			Pattern:  `[?&]sv=\d{4}-\d\d-\d\d&[^\s"'<>]{0,400}?\bsig=(?P<secret>[A-Za-z0-9%+/]{40,100}(?:=|%3[Dd]){0,2})`,
			Remediation: "Revoke the SAS by rotating the account key that signed it or deleting its " +
				"stored access policy; prefer user delegation SAS with short expiry.",
			TruePositives: []string{
				`https://acme.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-01-01T00:00:00Z&st=2025-01-01T00:00:00Z&spr=https&sig=Xq3Lm9Rt0Vb7Nw2Ky4Zc8Pd1Hf6Jg5Ts3Ua9Ie0Oy2W%3D`,
				`SAS_URL="https://acme.blob.core.windows.net/c/f.txt?sp=r&st=2025-03-01T10:00:00Z&se=2025-03-02T10:00:00Z&spr=https&sv=2022-11-02&sr=b&sig=pL2k9Qm0Vr7Xt3Nb8Wy1Zc4Hd6Jf5Gs2Ta0Ue9Io3R4%3D"`,
			},
			FalsePositives: []string{
				`https://example.com/?sv=2022-11-02&sig=short`,
				`url := base + "?sig=" + signature`,
			},
		},
		{
			ID: "azure-ad-client-secret", Provider: "Azure", Title: "Microsoft Entra ID (Azure AD) client secret", Severity: critical,
			// Client secrets made since 2022 are 40 characters: three, a
			// digit, "Q~", and 31 to 34 more, all of [0-9A-Za-z_~.-].
			Keywords:     []string{"q~"},
			Pattern:      `(?:^|[^0-9A-Za-z_~.\-])(?P<secret>[0-9A-Za-z_~.\-]{3}\dQ~[0-9A-Za-z_~.\-]{31,34})(?:[^0-9A-Za-z_~.\-]|$)`,
			MinEntropy:   3.5,
			Placeholders: true,
			Remediation: "Delete the secret under App registrations > Certificates & secrets, check the " +
				"sign-in logs of the service principal, and prefer certificates or managed identities.",
			TruePositives: []string{
				`client_secret=bP88Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR`,
				`AUTH_CLIENTSECRET = _V28Q~IC8qxmlWNpHuDm34JlbKv9LXV5MvUR3a-P`,
				`"ClientSecret": ".IQ8Q~79R7TOWOspFnWcEG-dYt4KXqFqxK16cxr"`,
			},
			FalsePositives: []string{
				`client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`Identity=\"USK@u2vn3Lh6Kte2-TgBSNKorbsKkuAt34ckoLmgx0ndXO0,4~q8Q~3wIHjX9DT0yCNfQmr9oxmYrDZoQVLOdNg~yk0,AQACAAE/x\"`,
				`~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~`,
			},
		},
		{
			ID: "azure-devops-pat", Provider: "Azure", Title: "Azure DevOps personal access token", Severity: high,
			// Classic PATs are 52 lower-case alphanumerics; PATs made since
			// 2024 are 84 characters of [0-9A-Za-z].
			Keywords:   []string{"azure", "devops", "vsts", "azdo", "ado_pat", "ado_token"},
			Lines:      1,
			Pattern:    keyed(named(`azure|devops|vsts|azdo|\bado`), `[0-9a-z]{52}|[0-9A-Za-z]{84}`),
			MinEntropy: 3.8, Placeholders: true,
			Remediation: "Revoke the token in Azure DevOps (User settings > Personal access tokens) and " +
				"use a service principal or workload identity for pipelines.",
			TruePositives: []string{
				`AZURE_DEVOPS_PAT=k4zq7m2xw5r3t6y2u7i4o5p3a2s6d7f4g5h3j2k7l6z5x4c3v2b7`,
				"azure:\n  azure_key: uie5tff7m5h5lqnqjhaltetqli90a08p6dhv9rn59uo30jgzw8un\n",
				`azure_devops_token: "n3b7v2c5x6z4l7k2j3h5g6f4d7s2a3p5o6i4u7y2t3r5e6w4q7m2"`,
			},
			FalsePositives: []string{
				`AZURE_DEVOPS_PAT=$(System.AccessToken)`,
				`devops_token: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
			},
		},
		{
			ID: "azure-cosmosdb-key", Provider: "Azure", Title: "Azure Cosmos DB account key", Severity: critical,
			// Cosmos DB keys are 64 bytes in base64 (86 characters and "=="),
			// recognised here next to a cosmos key name.
			Keywords: []string{"cosmos"},
			Lines:    1,
			Pattern:  keyed(named(`cosmos`), `[A-Za-z0-9+/]{86}==`),
			Check:    func(s string) bool { return s != azureEmulatorKey && Entropy(s) > 4.5 },
			Remediation: "Regenerate the key in the Cosmos DB account (Settings > Keys) and move clients " +
				"to Microsoft Entra ID role-based access.",
			TruePositives: []string{
				`COSMOS_KEY="C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="`,
				`"CosmosDbPrimaryKey": "eORLgfGkG6Fn1mYXBOdQd25HljHjjsaXs4AHCZbxD4l6UPtNNCGYkm7YS0gNIp13xSqhx/Bf/XDW57PziOxvqw=="`,
			},
			FalsePositives: []string{
				`cosmos_key = "` + azureEmulatorKey + `"`,
				`cosmos_key = "${COSMOS_KEY}"`,
			},
		},

		// ---- Alibaba Cloud ----
		{
			ID: "alibaba-access-key-id", Provider: "Alibaba Cloud", Title: "Alibaba Cloud AccessKey ID", Severity: high,
			// AccessKey IDs start "LTAI", then 12 to 20 alphanumerics.
			Keywords: []string{"ltai"},
			Pattern:  `\b(LTAI[A-Za-z0-9]{12,20})\b`,
			Check:    notPlaceholder,
			Remediation: "Disable and delete the AccessKey pair in the RAM console and use RAM roles " +
				"or STS tokens instead.",
			TruePositives: []string{
				`alibabaKey := "LTAI1e2cf04e3e166fdd8724"`,
				"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tRq8Zx2Lm9Vb7Np3Ks1\n",
			},
			FalsePositives: []string{
				`LTAIxxxxxxxxxxxxxxxx`,
				`LTAI5tRq`,
			},
		},
		{
			ID: "alibaba-access-key-secret", Provider: "Alibaba Cloud", Title: "Alibaba Cloud AccessKey secret", Severity: critical,
			// AccessKey secrets are 30 alphanumerics with no prefix.
			Keywords:   []string{"alibaba", "aliyun", "alicloud"},
			Lines:      1,
			Pattern:    keyed(named(`alibaba|aliyun|alicloud`), `[A-Za-z0-9]{30}`),
			MinEntropy: 3.5, Placeholders: true,
			Remediation: "Disable and delete the AccessKey pair in the RAM console and use RAM roles " +
				"or STS tokens instead.",
			TruePositives: []string{
				`alibaba_TOKEN = "ls2ooh6lhxs6vjnbmxqc9kf4tjwvpw"`,
				"ALIBABA_CLOUD_ACCESS_KEY_SECRET=Xq3Lm9Rt0Vb7Nw2Ky4Zc8Pd1Hf6Jg5\n",
				`aliyun.secret: kP2s9Wq0Zr7Mx3Vb8Nc1Ld4Hf6Jg5T`,
			},
			FalsePositives: []string{
				`alibaba_TOKEN = "ls2ooh6lhxs6vjnbmxqc9kf4tjwvpwx"`, // 31 characters
				`aliyun_secret = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`,
				`alibaba_region = "cn-hangzhou"`,
			},
		},

		// ---- DigitalOcean ----
		doToken("digitalocean-pat", "DigitalOcean personal access token", "dop_v1_",
			"Delete the token under API > Tokens and create a scoped one."),
		doToken("digitalocean-oauth-token", "DigitalOcean OAuth access token", "doo_v1_",
			"Revoke the OAuth token through the DigitalOcean API (POST /v1/oauth/revoke) or the authorizing application."),
		doToken("digitalocean-refresh-token", "DigitalOcean OAuth refresh token", "dor_v1_",
			"Revoke the refresh token through the DigitalOcean API (POST /v1/oauth/revoke) or the authorizing application."),

		// ---- Heroku ----
		{
			ID: "heroku-api-key", Provider: "Heroku", Title: "Heroku API key", Severity: high,
			// Legacy account API keys are UUIDs: recognised next to a heroku key name.
			Keywords:    []string{"heroku"},
			Lines:       1,
			Pattern:     keyed(named(`heroku`), uuidPattern),
			Check:       notFiller,
			Remediation: "Regenerate the API key in Heroku account settings, or revoke the authorization with `heroku authorizations:revoke`.",
			TruePositives: []string{
				`heroku_token: 0bfa8434-ee1b-48b1-b601-e64a3a6a789a`,
				`{"config.ini": "HEROKU_TOKEN=0bfa8434-ee1b-48b1-b601-e64a3a6a789a\nBACKUP_ENABLED=true"}`,
				"export HEROKU_API_KEY=\"7d2b9f4e-3c1a-4e8b-9f6d-2a5c8e1b4d7f\"\n",
			},
			FalsePositives: []string{
				`heroku_app_id: 00000000-0000-0000-0000-000000000000`,
				`heroku_token: 0bfa8434-ee1b-48b1-b601`,
			},
		},
		{
			ID: "heroku-api-key-v2", Provider: "Heroku", Title: "Heroku API key (HRKU format)", Severity: high,
			// Keys made since 2024 start "HRKU-".
			Keywords:    []string{"hrku-"},
			Pattern:     `\b(HRKU-[0-9A-Za-z_\-]{58,64})(?:[^0-9A-Za-z_\-]|$)`,
			Check:       notPlaceholder,
			Remediation: "Revoke the token with `heroku authorizations:revoke` or in account settings.",
			TruePositives: []string{
				`herokuToken=HRKU-AAqK6_8lS2f9YLAFsuf9hMai1QtdR_GRXsz0DG456axyz8XjY0r6qRra4ILZ`,
				"HEROKU_API_KEY: \"HRKU-AAPtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA-2O76UMFxFkM-R5Kjp1\"\n",
			},
			FalsePositives: []string{
				`HRKU-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`HRKU-AAqK6_8lS2f9`,
			},
		},

		// ---- Cloudflare ----
		{
			ID: "cloudflare-api-token", Provider: "Cloudflare", Title: "Cloudflare API token", Severity: high,
			// API tokens are 40 characters of [0-9A-Za-z_-]; no prefix.
			Keywords:   []string{"cloudflare", "cf_api", "cf-api"},
			Lines:      1,
			Pattern:    keyed(`cloudflare|cf[_\-]api`, `[0-9A-Za-z_\-]{40}`),
			MinEntropy: 3.5, Placeholders: true,
			Remediation: "Roll or delete the token under My Profile > API Tokens and review the audit log.",
			TruePositives: []string{
				`cloudflareToken="_tnf_dtmz7_7jl04oy5hu1dlgx00fbo3kzi6_g53"`,
				`CLOUDFLARE_API_TOKEN: Bu0rrK-lerk6y0Suqo1qSqlDDajOk61wZchCkje4`,
			},
			FalsePositives: []string{
				`CLOUDFLARE_API_TOKEN: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`cloudflare_zone = "Bu0rrK-lerk6y0Suqo1qSqlDDajOk61wZchCkje4x"`, // 41 characters
			},
		},
		{
			ID: "cloudflare-global-api-key", Provider: "Cloudflare", Title: "Cloudflare global API key", Severity: critical,
			// The global API key is 37 lower-case hex characters.
			Keywords:   []string{"cloudflare", "cf_api", "cf-api", "x-auth-key"},
			Lines:      1,
			Pattern:    keyed(`cloudflare|cf[_\-]api|x-auth-key`, `[0-9a-f]{37}`),
			MinEntropy: 3.0, Placeholders: true,
			Remediation: "Change the global API key under My Profile > API Tokens, and use scoped API tokens instead.",
			TruePositives: []string{
				`cloudflare_global_api_key = "d3d1443e0adc9c24564c6c5676d679d47e2ca"`,
				`curl -H "X-Auth-Key: 674538c7ecac77d064958a04a83d9e9db068c" https://api.cloudflare.com/client/v4/zones`,
			},
			FalsePositives: []string{
				`cloudflare_global_api_key = "d3d1443e0adc9c24564c6c5676d679d47e2ca0"`,
				`cloudflare_global_api_key = "0000000000000000000000000000000000000"`,
			},
		},
		{
			ID: "cloudflare-scannable-global-api-key", Provider: "Cloudflare", Title: "Cloudflare global API key (cfk_)", Severity: critical,
			// Cloudflare's scannable credentials (developers.cloudflare.com,
			// "Token formats"): a prefix, 40 characters and a checksum, which
			// is 8 hex characters. cfk_ is the global API key: full access.
			Keywords:    []string{"cfk_"},
			TokenStart:  true,
			Pattern:     `\b(cfk_[A-Za-z0-9]{40}[a-f0-9]{8})\b`,
			Check:       notPlaceholder,
			Remediation: "Change the global API key under My Profile > API Tokens, check the audit log, and use scoped API tokens instead.",
			TruePositives: []string{
				`staging_key: "cfk_Qm7Rz2LpX9wKc4TyV8bNf3JhD6sGa1UeO5iYtPqW9d4c7b2a"`,
				"CLOUDFLARE_API_KEY=cfk_Qm7Rz2LpX9wKc4TyV8bNf3JhD6sGa1UeO5iYtPqW9d4c7b2a\n",
			},
			FalsePositives: []string{
				`cfk_Qm7Rz2LpX9wKc4TyV8bNf3JhD6sGa1UeO5iY`,                  // cut short
				`cfk_Qm7Rz2LpX9wKc4TyV8bNf3JhD6sGa1UeO5iYtPqW9d4c7b2aEXTRA`, // longer
			},
		},
		{
			ID: "cloudflare-scannable-api-token", Provider: "Cloudflare", Title: "Cloudflare API token (cfut_ or cfat_)", Severity: high,
			// The scannable user (cfut_) and account (cfat_) API tokens: the
			// prefix, 40 characters and an 8-hex checksum.
			Keywords:    []string{"cfut_", "cfat_"},
			TokenStart:  true,
			Pattern:     `\b(cf(?:ut|at)_[A-Za-z0-9]{40}[a-f0-9]{8})\b`,
			Check:       notPlaceholder,
			Remediation: "Roll or delete the token under My Profile > API Tokens (user tokens) or Manage Account > API Tokens (account tokens), and review the audit log.",
			TruePositives: []string{
				`token := "cfut_Hs8Kd2Wq7Lm4Zx9Cv3Bn6Tg1Yp5Rf0Ja8Ue2Io7Pe1f0a9b3"`,
				`CF_ACCOUNT_TOKEN=cfat_Hs8Kd2Wq7Lm4Zx9Cv3Bn6Tg1Yp5Rf0Ja8Ue2Io7Pe1f0a9b3`,
			},
			FalsePositives: []string{
				`token := "cfut_Hs8Kd2Wq7Lm4Zx9Cv3Bn6Tg1"`,                         // truncated
				`token := "cfut_Hs8Kd2Wq7Lm4Zx9Cv3Bn6Tg1Yp5Rf0Ja8Ue2Io7Pe1f0a9bZ"`, // checksum not hex
			},
		},
		{
			ID: "cloudflare-origin-ca-key", Provider: "Cloudflare", Title: "Cloudflare Origin CA key", Severity: high,
			// Origin CA keys are "v1.0-", 24 hex, "-", 146 hex.
			Keywords:    []string{"v1.0-"},
			Pattern:     `\b(v1\.0-[0-9a-f]{24}-[0-9a-f]{146})\b`,
			Check:       notPlaceholder,
			Remediation: "Revoke the Origin CA key under My Profile > API Tokens and create a new one.",
			TruePositives: []string{
				`CLOUDFLARE_ORIGIN_CA: v1.0-aaa334dc886f30631ba0a610-0d98ef66290d7e50aac7c27b5986c99e6f3f1084c881d8ac0eae5de1d1aa0644076ff57022069b3237d19afe60ad045f207ef2b16387ee37b749441b2ae2e9ebe5b4606e846475d4a5`,
			},
			FalsePositives: []string{
				`v1.0-aaa334dc886f30631ba0a610-0d98ef66290d7e50aac7c27`,
			},
		},

		// ---- Fly.io ----
		{
			ID: "flyio-access-token", Provider: "Fly.io", Title: "Fly.io access token", Severity: high,
			// Legacy tokens are "fo1_" and 43 characters; macaroon tokens
			// are "fm1r_", "fm1a_" or "fm2_" and a long base64 blob, often
			// after "FlyV1 ".
			Keywords: []string{"fo1_", "fm1r_", "fm1a_", "fm2_"},
			Pattern:  `(?:^|[^0-9A-Za-z_\-])(?P<secret>fo1_[0-9A-Za-z_\-]{43}|(?:fm1[ar]|fm2)_[0-9A-Za-z+/]{100,}={0,3})(?:[^0-9A-Za-z_\-+/=]|$)`,
			Check:    notPlaceholder,
			Remediation: "Revoke the token with `fly tokens revoke` (or in the dashboard under Tokens) " +
				"and issue a scoped deploy token.",
			TruePositives: []string{
				`flyToken = 'fo1_Wwu-qQUugiOkb-pMQcTw3Ln9bowi842-Hd_j52FP_62'`,
				`fly_token: 'fm2_p/CzEK3cHcGUjb3yrft64XA914RifhzqGzaZjTFDyZmAvUrxjyJD6E8J9XwM+WoAcvpmgRduvqv6+Yw5w6BTRUKhWtGxVNSz0gmJ'`,
				`ENV FLY_API_TOKEN="FlyV1 fm1r_lJPECAAAAAAAAMqcxBBLMJKXYKJiT0CI58XmukX/wrVodHlwczovL2FwaS5mbHkuaW8vdjGWAJLOAAFmXh8Lk7lodHRwczovL2FwaS5mbHkuaW8vYWFhL3YxxDy5OfA2M6K6"`,
			},
			FalsePositives: []string{
				`api_key = "fo1_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`,
				`pub const MINIDUMP_SYSMEMINFO1_PERF_CCTOTALDIRTYPAGES_CCDIRTYPAGETHRESHOLD: u32 = 4u32;`,
				`value="7SWa-Fo1_hsC6oovfBsJFLGPUl2EhkSWPbJhWANwgaJWBDl1vxd9VNqXTNAefsJqzIRYaZEfYZLffa31rw8zJA"`,
			},
		},

		// ---- Linode, Vultr, Scaleway ----
		{
			ID: "linode-api-token", Provider: "Linode (Akamai)", Title: "Linode API token", Severity: high,
			// Personal access tokens are 64 lower-case hex characters.
			Keywords:   []string{"linode"},
			Lines:      1,
			Pattern:    keyed(named(`linode`), `[0-9a-f]{64}`),
			MinEntropy: 3.2, Placeholders: true,
			Remediation: "Revoke the token in Cloud Manager (My Profile > API Tokens).",
			TruePositives: []string{
				`LINODE_TOKEN=4f9b3c2a7e1d8f6b5a0c9e3d2f1b7a6c8e5d4f3a2b1c9e8d7f6a5b4c3d2e1f0a`,
				`linode_api_token: "a8c3e1f7b2d9046e5f3a1c8b7d2e9f40a6b5c3d1e8f7a2b9c4d6e0f1a3b5c7d9"`,
			},
			FalsePositives: []string{
				`LINODE_TOKEN=${LINODE_TOKEN}`,
				`linode_image_sha = "4f9b3c2a7e1d8f6b5a0c9e3d2f1b7a6c"`,
			},
		},
		{
			ID: "vultr-api-key", Provider: "Vultr", Title: "Vultr API key", Severity: high,
			// API keys are 36 upper-case alphanumerics.
			Keywords:   []string{"vultr"},
			Lines:      1,
			Pattern:    keyed(named(`vultr`), `[0-9A-Z]{36}`),
			MinEntropy: 3.5, Placeholders: true,
			Remediation: "Regenerate the API key under Account > API and restrict it by IP.",
			TruePositives: []string{
				`VULTR_API_KEY=K7QX2M9PL4ZT8WB3RN6YC1VD5HF0JGS2EA7U`,
			},
			FalsePositives: []string{
				`VULTR_API_KEY=XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
				`vultr_plan = "VC2-1C-1GB"`,
			},
		},
		{
			ID: "scaleway-secret-key", Provider: "Scaleway", Title: "Scaleway API secret key", Severity: high,
			// Secret keys are UUIDs; recognised next to a scaleway or scw key name.
			Keywords:     []string{"scaleway", "scw_secret", "scw-secret"},
			Lines:        1,
			Pattern:      keyed(`scaleway|scw[_\-]secret`, uuidPattern),
			Placeholders: true,
			Remediation:  "Delete the API key in the Scaleway console (IAM > API keys) and create a new one for an IAM application.",
			TruePositives: []string{
				`SCW_SECRET_KEY=7d2b9f4e-3c1a-4e8b-9f6d-2a5c8e1b4d7f`,
				`scaleway_secret_key: "e3a1c5b7-9d2f-4a6e-8b1c-3f5d7e9a2b4c"`,
			},
			FalsePositives: []string{
				`SCW_SECRET_KEY=00000000-0000-0000-0000-000000000000`,
				`scaleway_project_id: "e3a1c5b7-9d2f"`,
			},
		},

		// ---- IBM Cloud ----
		{
			ID: "ibm-cloud-api-key", Provider: "IBM Cloud", Title: "IBM Cloud IAM API key", Severity: high,
			// IAM API keys are 44 characters of [0-9A-Za-z_-].
			Keywords: []string{"ibm", "iam_api", "iam-api", "iamapi", "cloud_api", "cloud-api", "cloud_iam", "cloud-iam", "iam_password", "iam-password", "apikey"},
			Lines:    1,
			Pattern: keyed(`ibm[\w.\-]{0,20}?(?:key|pwd|pass|password|token)|(?:iam|cloud)[_\-]?(?:iam[_\-]?)?(?:api[_\-]?)?(?:key|password)|(?:^|["'\s])apikey`,
				`[0-9A-Za-z_\-]{44}`),
			Check: notFiller,
			Remediation: "Delete the API key in IBM Cloud (Manage > Access (IAM) > API keys) and use " +
				"trusted profiles or service IDs with narrow policies.",
			TruePositives: []string{
				`ibm-cloud_api_key: abcd1234abcd1234abcd1234ABCD1234ABCD1234--__`,
				`IBMCLOUD_API_KEY="vRt_1fjORS-6ilI8ihN5KXSc7Tvo-hBKqFYY-kv5ZJr3"`,
				`"iam_api_key" : "k2Jd8Lq0Vm3Xr7Nb1Tz5Wc9Hf4Yp6Gs2Ea8Iu0Oy3Rq7"`,
			},
			FalsePositives: []string{
				`ibm_iam_key:= "abcd1234abcd1234abcd1234ABCD1234ABCD1234--__extra"`,
				`CLOUD_APIKEY: "insert_key_here"`,
				`ibm-cloud-pwd = shorter-version`,
			},
		},
		{
			ID: "ibm-softlayer-api-key", Provider: "IBM Cloud", Title: "IBM Cloud classic infrastructure (SoftLayer) API key", Severity: high,
			// Classic infrastructure API keys are 64 lower-case hex characters.
			Keywords: []string{"softlayer", "sl_", "sl-", "slapi"},
			Lines:    1,
			Pattern: `(?im)(?:(?:softlayer|\bsl)[_\-]?(?:api[_\-]?)?(?:key|pwd|pass|password)\b` + keyTail + `(?:` + assign + `|\s+["']?)` +
				`|api\.softlayer\.com/[\w.]+/v3(?:\.1)?/)(?P<secret>(?-i:[0-9a-f]{64}))` + valueEnd,
			Check: notFiller,
			Remediation: "Regenerate the classic infrastructure API key in IBM Cloud (Manage > Access " +
				"(IAM) > API keys).",
			TruePositives: []string{
				`--softlayer-api-key "abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234"`,
				`SL_API_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0`,
				`http://api.softlayer.com/soap/v3.1/abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234`,
			},
			FalsePositives: []string{
				`softlayer_api_key="%s" % SL_API_KEY_ENV`,
				`sl-apikey: "insert_key_here"`,
				`slot_key = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"`,
			},
		},
		{
			ID: "ibm-cos-hmac-secret", Provider: "IBM Cloud", Title: "IBM Cloud Object Storage HMAC secret access key", Severity: high,
			// COS HMAC secret access keys are 48 lower-case hex characters.
			Keywords: []string{"secret_access_key", "secret-access-key", "secretaccesskey", "cos_secret", "cos-secret", "cossecret", "coshmac", "cos_hmac", "cos-hmac"},
			Lines:    1,
			Pattern:  keyed(`secret[_\-]?access[_\-]?key|cos[_\-]?(?:hmac[_\-]?)?secret[_\-]?(?:access[_\-]?)?key`, `[0-9a-f]{48}`),
			Check:    notFiller,
			Remediation: "Delete the HMAC credential (service credential of the COS instance) and " +
				"create a new one.",
			TruePositives: []string{
				`"secret_access_key": "1234567890abcdef1234567890abcdef1234567890abcdef"`,
				`cos_hmac_secret_key = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"`,
			},
			FalsePositives: []string{
				`"secret_access_key": "1234567890abcdef1234567890abcdef1234567890abcdefextra"`,
				`someotherpassword = "doesnt start right"`,
			},
		},
		{
			ID: "ibm-cloudant-credentials", Provider: "IBM Cloud", Title: "IBM Cloudant password or API key", Severity: high,
			// Cloudant legacy passwords are 64 hex; IAM-less API keys 24
			// lower-case letters. They sit in account URLs or next to a
			// cloudant key name.
			Keywords: []string{"cloudant", "clou_"},
			Lines:    1,
			Pattern: `(?im)(?:(?:cloudant|clou)[_\-]?(?:password|pwd|pw|pass|key|api[_\-]?key|secret)\b` + keyTail + assign +
				`|https?://[\w\-]+:)(?P<secret>(?-i:[0-9a-f]{64}|[a-z]{24}))(?:@[\w\-.]+\.cloudant\.com|["'\s]|$)`,
			Check: notFiller,
			Remediation: "Rotate the Cloudant credentials (service credentials in IBM Cloud) and move to " +
				"IAM authentication.",
			TruePositives: []string{
				`https://testy_-test:abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234@testy_-test.cloudant.com`,
				`cloudant_password='9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0'`,
				`cloudant_key = "abcdefghijabcdefghijabcd"`,
			},
			FalsePositives: []string{
				`cloudant_password = "a-fake-tooshort-key"`,
				`https://testy_-test:abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234abcd1234.cloudant.com`,
			},
		},

		// ---- Yandex Cloud ----
		{
			ID: "yandex-api-key", Provider: "Yandex Cloud", Title: "Yandex Cloud API key", Severity: high,
			// API keys start "AQVN", then 35 to 38 characters of [0-9A-Za-z_-].
			Keywords:    []string{"aqvn"},
			Pattern:     `\b(AQVN[0-9A-Za-z_\-]{35,38})(?:[^0-9A-Za-z_\-]|$)`,
			Check:       notPlaceholder,
			Remediation: "Delete the API key of the service account in the Yandex Cloud console.",
			TruePositives: []string{
				`yandexToken := "AQVNDiLaaZIryWnJLq-kcXH8uB9fZlOQtZ04gp7"`,
			},
			FalsePositives: []string{`AQVNxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `AQVNDiLaaZ`},
		},
		{
			ID: "yandex-iam-token", Provider: "Yandex Cloud", Title: "Yandex Cloud IAM token", Severity: medium,
			// IAM tokens start "t1." and have a dotted base64url body.
			Keywords:    []string{"t1."},
			Pattern:     `\b(t1\.[0-9A-Za-z_\-]+={0,2}\.[0-9A-Za-z_\-]{86}={0,2})(?:[^0-9A-Za-z_\-=]|$)`,
			Check:       notPlaceholder,
			Remediation: "IAM tokens live 12 hours; revoke the credentials that issued it.",
			TruePositives: []string{
				`yandexToken=t1.R.5jWWI3u30iHQLbYAfQLmTmbWQffd52temCeBjESYyOcqP82RXxRla2iQNwQ5SBXx0SPn1Snh4qHJKh_dmBfk6s`,
			},
			FalsePositives: []string{`t1.start()`, `t1.R.short`},
		},
		{
			ID: "yandex-static-access-key", Provider: "Yandex Cloud", Title: "Yandex Cloud static access key secret", Severity: high,
			// Static (S3-compatible) keys: the secret starts "YC" and has 38
			// more characters; recognised near "yandex".
			Keywords:    []string{"yandex"},
			Lines:       1,
			Pattern:     `\b(YC[0-9A-Za-z_\-]{38})(?:[^0-9A-Za-z_\-]|$)`,
			Check:       notPlaceholder,
			Remediation: "Delete the static access key of the service account in the Yandex Cloud console.",
			TruePositives: []string{
				`yandexToken = "YCV5r4ZFSAgMfu4odLlHKa6kNGRJ2o5KvmD1Ijkd"`,
			},
			FalsePositives: []string{`yandex_key = "YCxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`, `yandex: YCV5r4ZFSA`},
		},
	}
}

// doToken is a DigitalOcean token detector: a "do?_v1_" prefix and 64
// lower-case hex characters.
func doToken(id, title, prefix, remediation string) Detector {
	return Detector{
		ID: id, Provider: "DigitalOcean", Title: title, Severity: high,
		Keywords:    []string{prefix},
		Pattern:     `\b(` + prefix + `[0-9a-f]{64})\b`,
		Check:       notPlaceholder,
		Remediation: remediation,
		TruePositives: []string{
			`DIGITALOCEAN_TOKEN=` + prefix + `59f96015176599f5441f4e8b43ab7a174c86419a20dd7b0487aefb5fffa4a62f`,
			`{"do_token": "` + prefix + `27f0e7bdba0a5b6367b6fb99bd97eabb473b503a8ea7ed5b968bfcdb5eaa2147"}`,
		},
		FalsePositives: []string{
			prefix + `59f96015176599f5441f4e8b43ab7a174c86419a20dd7b0487aefb5fffa4a6`, // 62 characters
			prefix + `0000000000000000000000000000000000000000000000000000000000000000`,
			strings.ToUpper(prefix) + `59F96015176599F5441F4E8B43AB7A174C86419A20DD7B0487AEFB5FFFA4A62F`,
		},
	}
}

// firebaseSDKTestKey reports the Google API keys that Firebase's own SDKs
// publish in their tests (firebase-android-sdk, firebase-js-sdk,
// flutterfire): they sit in every vendored copy of those SDKs, belong to
// Google's test projects, and are nobody's leak. Each value here was found
// in one of those SDKs' sources; gitleaks allowlists four more that were not.
func firebaseSDKTestKey(s string) bool {
	switch s {
	case "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
		"AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM",
		"AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
		"AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0",
		"AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c",
		"AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
		"AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY",
		"AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
		"AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ",
		"AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
		"AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU":
		return true
	}
	return false
}
