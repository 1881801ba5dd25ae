package detectors

import (
	"strings"

	"github.com/palisade-sec/palisade/internal/finding"
)

// tokenEnd is what may follow a prefixed token whose body is [0-9A-Za-z_-].
const tokenEnd = `(?:[^0-9A-Za-z_\-]|$)`

// tokenStart is what may precede a prefixed token whose body is [0-9A-Za-z_-].
const tokenStart = `(?:^|[^0-9A-Za-z_\-])`

// nugetDocPasswords are the example passwords of Microsoft's nuget.config
// reference documentation.
var nugetDocPasswords = map[string]bool{"33f!!lloppa": true, "hal+9ooo_da!sY": true}

func vcsDetectors() []Detector {
	return []Detector{
		// ---- GitHub ----
		// Tokens are a prefix, "_", and 36 base62 characters (30 random and
		// a 6-character checksum). The test corpora use random bodies, so
		// the checksum is not verified: length and alphabet only.
		githubToken("github-pat", "GitHub personal access token (classic)", "ghp_", critical,
			"Delete the token under Settings > Developer settings > Personal access tokens and review the security log."),
		githubToken("github-oauth", "GitHub OAuth access token", "gho_", high,
			"Revoke the OAuth authorization (Settings > Applications) or through the OAuth app's API."),
		githubToken("github-user-to-server-token", "GitHub App user access token", "ghu_", high,
			"Revoke the GitHub App's authorization for the user; the token also expires after 8 hours."),
		{
			ID: "github-app-token", Provider: "GitHub", Title: "GitHub App installation access token", Severity: high,
			// Classic installation tokens are "ghs_" and 36 base62 characters.
			// From 2026 GitHub issues stateless ones, a JWT of about 520
			// characters after "ghs_" with underscores and two dots; its
			// recommended pattern for both is ghs_[A-Za-z0-9._]{36,}. A dot
			// ending a sentence is not part of the token.
			Keywords:    []string{"ghs_"},
			Pattern:     `\b(ghs_[0-9A-Za-z_.]{35,999}[0-9A-Za-z_])(?:[^0-9A-Za-z_.]|\.(?:[^0-9A-Za-z_]|$)|$)`,
			Check:       notPlaceholder,
			Remediation: "Installation tokens expire after an hour; rotate the GitHub App's private key if it leaked too.",
			TruePositives: []string{
				`githubToken = "ghs_w7tp7c2qqdq12k476im52k981bqvo912befb"`,
				"Token ghs_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx.\n",
				`"github_secret": "ghs_RWGUZ6kS8_Ut7PbtR72k2miJwwYtxkpe8mOpT8feAWYZcwz43PxBVGCNATnycaQV9VUlPJe1uST5Xen7d3uZ5lilVlEVvT9AbxnhURdT3OzPtCvXydIrvE4LrDO"`,
				`GH_TOKEN=ghs_eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJHaXRIdWIiLCJpbnN0YWxsYXRpb25faWQiOjQyfQ.dGhpc19pc19hX3NpZ25hdHVyZV9mb3JfdGVzdHNfb25seQ`,
			},
			FalsePositives: []string{
				`ghs_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`foo_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx`,
				`ghs_wWPw5k4aXcaT4fNP0Uc`,
			},
		},
		githubToken("github-refresh-token", "GitHub App refresh token", "ghr_", high,
			"Revoke the GitHub App's authorization for the user so its refresh tokens stop working."),
		{
			ID: "github-fine-grained-pat", Provider: "GitHub", Title: "GitHub fine-grained personal access token", Severity: critical,
			// "github_pat_" and 82 characters: 22, "_", 59.
			Keywords:    []string{"github_pat_"},
			Pattern:     `\b(github_pat_[0-9A-Za-z_]{82})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Delete the token under Settings > Developer settings > Fine-grained tokens and review the security log.",
			TruePositives: []string{
				`githubToken := "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"`,
				"GH_TOKEN=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\n",
			},
			FalsePositives: []string{
				`github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`github_pat_5exsjgudd66pgyxx9y1z5op0a0ciq9ws`,
			},
		},
		{
			ID: "github-legacy-token", Provider: "GitHub", Title: "GitHub token (legacy 40-hex format)", Severity: high,
			// Tokens made before 2021 are 40 lower-case hex characters, the
			// shape of a commit id, so only a key name that says token counts.
			Keywords: []string{"github", "gh_token", "gh_pat"},
			Lines:    1,
			Pattern: keyed(`github[\w.\-]{0,20}?(?:token|pat|secret|password|pass|auth|key|credential)|gh_(?:token|pat)`,
				`[0-9a-f]{40}`),
			MinEntropy: 3.0, Placeholders: true,
			Remediation: "Delete the token under Settings > Developer settings and replace it with a fine-grained token.",
			TruePositives: []string{
				`GITHUB_TOKEN=8a4f2c9e1b7d3a6f5c0e9b8d2a1f4c7e3b6d9a0f`,
				`github.auth.token: "f3b9d2a7c1e8f4b6a0d5c9e2b7f1a3d8c4e6b0f9"`,
			},
			FalsePositives: []string{
				`github_sha: 8a4f2c9e1b7d3a6f5c0e9b8d2a1f4c7e3b6d9a0f`,
				`GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}`,
			},
		},

		// ---- GitLab ----
		// Routable tokens (GitLab 17.7+) are the payload, a dot, a two-digit
		// version, a dot and nine characters (".01.x8k2m0q7z"); some
		// generators write them without the version. Older personal tokens
		// are 20 characters; TruffleHog, which verifies them, accepts 22.
		gitlabToken("gitlab-pat", "GitLab personal, project or group access token", "glpat-",
			`(?:[0-9A-Za-z_\-]{20,22}|[0-9A-Za-z_\-]{27,300}\.(?:[0-9a-z]{9}|[0-9a-z]{2}\.[0-9a-z]{9}))`,
			[]string{`gitlab_token: glpat-i1o19csyk7x2omu9vmhu`, `"gitlab_secret": "glpat-W6fYSu70dPEo5w_SwbHWgQ"`, `GITLAB_TOKEN="glpat-lc9waf1uk1qkufmxkk0mm9fn0br.wccz4j5hv"`, `glpat-hellOworld380_testin`,
				`GITLAB_TOKEN=glpat-Jq8vT2mWx5Kz1Rb7Lc4Nf9Hd3Gp6Ys0Ua.01.1k7x3m9q2`},
			[]string{`glpat-XXXXXXXXXXX-XXXXXXXX`, `glpat-hellOWorld380 testin`, `glpat_hellOworld380_testin`, `glpat-xxxxxxxx-xxxxxxxxxxxxxxxxxx.xxxxxxxxx`}),
		gitlabToken("gitlab-deploy-token", "GitLab deploy token", "gldt-", `[0-9A-Za-z_\-]{20}`,
			[]string{`gitlab_api_token = "gldt-z46vif7awyvb7mk98kem"`, `gldt-HwllOuhfw-wu0rlD_yep`},
			[]string{`gldt-seems_too000Sshorty`}),
		gitlabToken("gitlab-runner-authentication-token", "GitLab runner authentication token", "glrt-",
			`(?:t\d_)?(?:[0-9A-Za-z_\-]{20}|[0-9A-Za-z_\-]{27,300}\.(?:[0-9a-z]{9}|[0-9a-z]{2}\.[0-9a-z]{9}))`,
			[]string{`gitlabToken="glrt-omibcbvsbz61sqm8tfyi"`, `gitlabToken=glrt-t2_th4189lrfxv2mozcm3w0yrx5zqv.2k01cmvrf`},
			[]string{`glrt-tx_xxxxxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxx`, `glrt-short`}),
		gitlabToken("gitlab-cicd-job-token", "GitLab CI/CD job token", "glcbt-", `(?:[0-9a-z]{1,5}_)?[0-9A-Za-z_\-]{20}`,
			[]string{`gitlabToken = "glcbt-9yfat_q90h8vfhgslrit9kjpau"`, `glcbt-helloworld380_testin`},
			[]string{`glcbt-xxxxxxxxxxxxxxxxxxxx`}),
		gitlabToken("gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", "glptt-", `[0-9A-Za-z_\-]{40}`,
			[]string{`gitlabToken = "glptt-721e73b249008d588ac4256c02ae90ac0f477cb4"`, `glptt-Need5_T00-be-exactly-40-chars--ELse_fail`},
			[]string{`glptt-Need5_T00-be-exactly-40-chars--ELse_failing`, `glptt-hellOworld380_testin`, `glptt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`}),
		gitlabToken("gitlab-feed-token", "GitLab feed token", "glft-", `[0-9A-Za-z_\-]{20}`,
			[]string{`var gitlabToken string = "glft-zwev28m09il60bordl4y"`},
			[]string{`glft-zwev28m09il`}),
		gitlabToken("gitlab-incoming-mail-token", "GitLab incoming mail token", "glimt-", `[0-9A-Za-z_\-]{25}`,
			[]string{`gitlab_TOKEN ::= "glimt-rnsywo2gs2z8sy18qzpw5244c"`, `glimt-my-tokens_are-correctAB38`},
			[]string{`glimt-my-tokens_are-correctAB`, `glimt-my-tokens_are-correctAB38_280`}),
		gitlabToken("gitlab-kubernetes-agent-token", "GitLab agent for Kubernetes token", "glagent-", `[0-9A-Za-z_\-]{50,}`,
			[]string{`gitlab_token: 'glagent-uextjxp9wl4qunza8b8xjicwlhy55ezpx4o1yeiw7qb2yshyaj'`},
			[]string{`glagent-hellOworld380_testin`, `glagent-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`}),
		gitlabToken("gitlab-scim-token", "GitLab SCIM OAuth token", "glsoat-", `[0-9A-Za-z_\-]{20,50}`,
			[]string{`gitlabToken="glsoat-b7lzfndoldkwrsb69qmo"`, `glsoat-PREfix_helloworld380_testin_pretty_long_token_long`},
			[]string{`glsoat-PREfix_helloworld380_testin_pretty_long_token_long_`}),
		gitlabToken("gitlab-feature-flag-client-token", "GitLab feature flags client token", "glffct-", `[0-9A-Za-z_\-]{20}`,
			[]string{`gitlab_token: "glffct-0jqxpgwmbykxnrpsdw95"`},
			[]string{`glffct-0jqxpgwmbyk`}),
		gitlabToken("gitlab-oauth-app-secret", "GitLab OAuth application secret", "gloas-", `[0-9A-Za-z_\-]{64}`,
			[]string{`gitlabToken=gloas-bhc0g5tu2vm8x4pyeuf8y5kkcy1xwh2ymk9zlzsxj123xakrz6ayf873ioiqdvws`, `gloas-checking_Length-Is-_exactly_64--checking_Length-Is-_exactly_64--`},
			[]string{`gloas-checking_Length-Is-checking_Length-Is-`, `gloas-checking_Length-Is-_exactly_64--Xchecking_Length-Is-_longer_longer`}),
		{
			ID: "gitlab-runner-registration-token", Provider: "GitLab", Title: "GitLab runner registration token", Severity: high,
			// Registration tokens (deprecated) are "GR1348941" and 20 or more characters.
			Keywords:    []string{"gr1348941"},
			Pattern:     `\b(GR1348941[0-9A-Za-z_\-]{20,50})` + tokenEnd,
			Check:       func(s string) bool { return notFiller(s[len("GR1348941"):]) },
			Remediation: "Reset the registration token in the project, group or instance CI/CD settings and move to runner authentication tokens.",
			TruePositives: []string{
				`gitlabToken = "GR1348941i04wj1rcal8a5yua3vqs"`,
				`GR1348941PREfix_helloworld380`,
			},
			FalsePositives: []string{
				`GR134894112312312312312312312`,
				`GR1348941XXXXXXXXXXXXXXXXXXXX`,
				`GR1348941helloWord0`,
				`GR1348941PREfix_helloworld380_testin_pretty_long_token_long_`,
			},
		},
		{
			ID: "gitlab-session-cookie", Provider: "GitLab", Title: "GitLab session cookie", Severity: high,
			// The _gitlab_session cookie is 32 lower-case alphanumerics.
			Keywords:    []string{"_gitlab_session"},
			Pattern:     `_gitlab_session=([0-9a-z]{32})\b`,
			Check:       notFiller,
			Remediation: "Sign the user out of all sessions (Profile > Active sessions) so the cookie stops working.",
			TruePositives: []string{
				`gitlab_token: _gitlab_session=q8rmyms2t6r6afk3u38wk9my4yk5i7oi`,
				`Cookie: _gitlab_session=7f3a9c2e5b8d1f4a6c0e9b2d5f8a1c3e; event_filter=all`,
			},
			FalsePositives: []string{`_gitlab_session=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `_gitlab_session=abc`},
		},

		// ---- Bitbucket and Atlassian ----
		{
			ID: "bitbucket-app-password", Provider: "Bitbucket", Title: "Bitbucket app password or access token", Severity: high,
			// App passwords are "ATBB" and 32 characters; repository,
			// project and workspace access tokens are "ATCTT3" and 186.
			Keywords:    []string{"atbb", "atctt3"},
			Pattern:     `\b(ATBB[0-9A-Za-z]{32}|ATCTT3[0-9A-Za-z_\-=]{186})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Revoke the app password or access token in Bitbucket (Personal settings > App passwords, or the repository's Access tokens).",
			TruePositives: []string{
				`BITBUCKET_APP_PASSWORD=ATBBoGsbeKXgzg2sye9b2Rann76dEyTzAeKO`,
			},
			FalsePositives: []string{`ATBBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `ATBB3kLm9Qp0Rt7Vw2`},
		},
		{
			ID: "bitbucket-client-id", Provider: "Bitbucket", Title: "Bitbucket OAuth consumer key", Severity: medium,
			Keywords:   []string{"bitbucket"},
			Lines:      1,
			Pattern:    keyed(`bitbucket[\w.\-]{0,24}?(?:token|key|id|client|consumer)`, `[0-9A-Za-z]{32}`),
			MinEntropy: 3.5, Placeholders: true,
			Check:       lettersAndDigits,
			Remediation: "Delete the OAuth consumer in the workspace settings and create a new one.",
			TruePositives: []string{
				`bitbucketToken = "swfnrtmjwa1lofwc6fwzdjy15oitshi0"`,
				`BITBUCKET_CLIENT_ID: Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8`,
			},
			FalsePositives: []string{`bitbucket_workspace = "acme-platform-engineering-team"`, `bitbucketToken = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`},
		},
		{
			ID: "bitbucket-client-secret", Provider: "Bitbucket", Title: "Bitbucket OAuth consumer secret", Severity: high,
			Keywords:   []string{"bitbucket"},
			Lines:      1,
			Pattern:    keyed(named(`bitbucket`), `[0-9A-Za-z_\-]{64}`),
			MinEntropy: 3.5, Placeholders: true,
			Remediation: "Delete the OAuth consumer in the workspace settings and create a new one.",
			TruePositives: []string{
				`bitbucket_token: '2ncscecwhk6jfcakku5zbde6dbvz1z2m54bq3n252o01m9u8gvqt2fuitf7hzif2'`,
			},
			FalsePositives: []string{`bitbucket_secret: ${BITBUCKET_SECRET}`},
		},
		{
			ID: "atlassian-api-token", Provider: "Atlassian", Title: "Atlassian API token", Severity: high,
			// Tokens made since 2023 are "ATATT3" and 186 characters ending
			// in a checksum.
			Keywords:    []string{"atatt3"},
			Pattern:     tokenStart + `(?P<secret>ATATT3[0-9A-Za-z_\-=]{186})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Revoke the token at id.atlassian.com (Security > API tokens) and check the audit log.",
			TruePositives: []string{
				`jira_token: 'ATATT3zIRlNQb0prFmbh7_wy5yq1XoY1BaIMcAxYmfsB4HbQLXjjlAFbVV6q9rXxtNDFyuzX9k1gnneGEYG1_LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d-bWWbjkloG1QX647kdNl9cDo-_GbVMszvR4-E=AC86D66CoL6unii'`,
			},
			FalsePositives: []string{`jira_token: ATATT3xxxxxxxxxxxx`},
		},
		{
			ID: "atlassian-api-token-legacy", Provider: "Atlassian", Title: "Atlassian API token (legacy format)", Severity: high,
			// Tokens made before 2023 are 24 alphanumerics with no prefix,
			// recognised next to an atlassian, jira or confluence key name.
			Keywords:   []string{"atlassian", "jira", "confluence"},
			Lines:      1,
			Pattern:    keyed(named(`atlassian|jira|confluence`), `[0-9A-Za-z]{24}`),
			MinEntropy: 3.5, Placeholders: true,
			Check:       lettersAndDigits,
			Remediation: "Revoke the token at id.atlassian.com (Security > API tokens) and check the audit log.",
			TruePositives: []string{
				`JIRA_API_TOKEN=HXe8DGg1iJd2AopzyxkFB7F2`,
				`confluenceToken = "gucespqgkfdyaqzzkzgx32a9"`,
			},
			FalsePositives: []string{
				`getPagesInConfluenceSpace,searchConfluenceUsingCql`,
				`JIRA_PROJECT_KEY=PLATFORMENGINEERINGTEAMS`,
			},
		},

		// ---- Package registries ----
		{
			ID: "npm-access-token", Provider: "npm", Title: "npm access token", Severity: critical,
			// Tokens are "npm_" and 36 base62 characters.
			Keywords:    []string{"npm_"},
			Pattern:     `\b(npm_[0-9A-Za-z]{36})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Revoke the token with `npm token revoke` or on npmjs.com (Access Tokens), and prefer trusted publishing.",
			TruePositives: []string{
				`npmAccessTokenToken="npm_vgx8ftubkwcsge4kvwo5j13r2iaaggwis27u"`,
				"//registry.npmjs.org/:_authToken=npm_Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8Ae2I\n",
			},
			FalsePositives: []string{`npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `npm_config_registry=https://registry.npmjs.org/`},
		},
		{
			ID: "npmrc-auth-token", Provider: "npm", Title: "Registry credential in .npmrc", Severity: high,
			// .npmrc scopes credentials to a registry: "//host/path/:_authToken=...".
			Keywords: []string{":_authtoken", ":_password", ":_auth"},
			Pattern:  `(?m)//[\w.\-]+(?::\d+)?(?:/[\w.\-]*)*/:_(?:authToken|password|auth)\s*=\s*["']?(?P<secret>[^\s"'$]{8,})`,
			Check: func(s string) bool {
				// npm's own documentation writes _authToken=MYTOKEN1.
				return notFiller(s) && !strings.Contains(strings.ToLower(s), "token")
			},
			Remediation: "Revoke the token at the registry, remove it from .npmrc and read it from an environment variable (${NPM_TOKEN}).",
			TruePositives: []string{
				`//registry.npmjs.org/:_authToken=743b294a-cd03-11ec-9d64-0242ac120002`,
				`//npm.pkg.github.com/:_authToken= 3e7a9c1b-5d2f-4a8e-9b6c-1f3d5a7e9c2b`,
			},
			FalsePositives: []string{
				`//registry.npmjs.org/:_authToken=${NPM_TOKEN}`,
				`//somewhere-else.com/myorg/:_authToken=MYTOKEN1`,
				`//registry.npmjs.org:_authToken=743b294a-cd03-11ec-9d64-0242ac120002`,
				`registry.npmjs.org/:_authToken=743b294a-cd03-11ec-9d64-0242ac120002`,
			},
		},
		{
			ID: "pypi-upload-token", Provider: "PyPI", Title: "PyPI API token", Severity: critical,
			// Tokens are "pypi-" and a base64url macaroon whose first bytes
			// name the issuing index (pypi.org or test.pypi.org).
			Keywords:    []string{"pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"},
			Pattern:     `\b(pypi-Ag(?:EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)[0-9A-Za-z_\-]{50,})`,
			Remediation: "Remove the token on pypi.org (Account settings > API tokens) and prefer trusted publishing from CI.",
			TruePositives: []string{
				`pypiToken = "pypi-AgEIcHlwaS5vcmc88090a2e3740baf9ac2c36f4ed75ff3197361c01b6dfb4d15dd87b28ba3c0413"`,
				"password = pypi-AgENdGVzdC5weXBpLm9yZwIkN2YxOWZhOWEtY2FjYS00MGZhLTj2MGEtODFjMnE2MjdmMzY0AAIqWzMsImJlM2FiOWI5LTRmYUTnNEg4ZS04\n",
			},
			FalsePositives: []string{`pypi-AgEIcHlwaS5vcmcCJDU3OTM1`, `pypi-token-here`},
		},
		{
			ID: "rubygems-api-token", Provider: "RubyGems", Title: "RubyGems API key", Severity: critical,
			Keywords:    []string{"rubygems_"},
			Pattern:     `\b(rubygems_[0-9a-f]{48})\b`,
			Check:       notPlaceholder,
			Remediation: "Revoke the key on rubygems.org (Settings > API keys) and prefer trusted publishing.",
			TruePositives: []string{
				`rubygemsAPITokenToken = "rubygems_fc29b272bfa660cb82c4f75dc7387b1734519d418efd80eb"`,
				"---\n:rubygems_api_key: rubygems_3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d6f9a2c5e8b1d\n",
			},
			FalsePositives: []string{`rubygems_fc29b272bfa660cb82c4f75dc738`, `rubygems_version: 3.4.10`},
		},
		{
			ID: "nuget-api-key", Provider: "NuGet", Title: "NuGet.org API key", Severity: critical,
			// API keys are "oy2" and 43 lower-case alphanumerics.
			Keywords:    []string{"oy2"},
			Pattern:     `\b(oy2[0-9a-z]{43})\b`,
			Check:       notPlaceholder,
			Remediation: "Delete or regenerate the key on nuget.org (API keys) and prefer trusted publishing.",
			TruePositives: []string{
				`dotnet nuget push pkg.nupkg --api-key oy2kq3xm9vp7lt2wz8rn5bf4hc6dj1sg0ya3ue7ioq4rt8 --source https://api.nuget.org/v3/index.json`,
			},
			FalsePositives: []string{`oy2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `oy2kq3xm9vp7lt2wz8rn`},
		},
		{
			ID: "nuget-config-password", Provider: "NuGet", Title: "Clear-text password in nuget.config", Severity: high,
			// nuget.config packageSourceCredentials: <add key="ClearTextPassword" value="..." />.
			Keywords:    []string{"cleartextpassword"},
			Pattern:     `(?i)<add\s+key\s*=\s*"ClearTextPassword"\s+value\s*=\s*"(?P<secret>[^"]{8,})"`,
			Check:       func(s string) bool { return !nugetDocPasswords[s] && notFiller(s) && !strings.HasPrefix(s, "%") },
			Remediation: "Rotate the feed password or token and store it encrypted (`nuget sources add -StorePasswordInClearText` off) or in an environment variable.",
			TruePositives: []string{
				`<add key="ClearTextPassword" value="CleartextPassword1" />`,
				"<packageSourceCredentials>\n  <Contoso>\n    <add key=\"Username\" value=\"ci\" />\n    <add key=\"ClearTextPassword\" value=\"q8Zr2LmP0vXk4TnW\" />",
			},
			FalsePositives: []string{
				`<add key="ClearTextPassword" value="XXXXXXXXXXX" />`,
				`<add key="ClearTextPassword" value="abc" />`,
				`<add key="ClearTextPassword" value="%TestSourcePassword%" />`,
				`<add key="ClearTextPassword" value="33f!!lloppa" />`,
			},
		},
		{
			ID: "dockerhub-pat", Provider: "Docker", Title: "Docker Hub access token", Severity: high,
			// Personal and organization access tokens: "dckr_pat_" or
			// "dckr_oat_" and 27 or more characters.
			Keywords:    []string{"dckr_pat_", "dckr_oat_"},
			Pattern:     `\b(dckr_(?:pat|oat)_[0-9A-Za-z_\-]{27,40})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Delete the token in Docker Hub (Account settings > Personal access tokens).",
			TruePositives: []string{
				`DOCKERHUB_TOKEN=dckr_pat_2b3e36beeb386dfdaacb9b46004`,
				`echo dckr_pat_kL9mQ2xR7vT4wZ8nB1cF5hJ0pY3 | docker login -u acme --password-stdin`,
			},
			FalsePositives: []string{`dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx`, `dckr_pat_short`},
		},
		{
			ID: "jfrog-api-key", Provider: "JFrog", Title: "JFrog Artifactory API key", Severity: high,
			// API keys (deprecated) are "AKCp" and 69 base62 characters.
			Keywords:    []string{"akcp"},
			Pattern:     `\b(AKCp[0-9A-Za-z]{69})\b`,
			Check:       notPlaceholder,
			Remediation: "Revoke the API key in the JFrog user profile and switch to scoped access tokens.",
			TruePositives: []string{
				`artifactoryApiKey := "AKCpnald796mz5wx9n0k7k89qvc452vb4ktsz6xls4wi5yr9elwi0vjdqt44ffjamm7r98vpf"`,
				`X-JFrog-Art-Api: AKCpFw152cTe8r0khCEr7n1AyOHFRuT11NCue1cr3McRTrKwtPYKbPizDmbX1rpXjYdOhCgOI`,
			},
			FalsePositives: []string{
				`lowEntropy := AKCpXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
				`wrongStart := "AkCp04ybmielmqrhvk5sfk20cmbze6h0ckpnvb0qar7thveqif0km887n2xhw1026sspaqybo"`,
				`partOfAlongUnrelatedBlob gYnkgAkCp8lbx0dybfy9v93yagmaozgcuc8j7v383tx6dmg5lzjtxc73c6xrs0g2deet5beg9kqgsqVyZSB2`,
			},
		},
		{
			ID: "jfrog-reference-token", Provider: "JFrog", Title: "JFrog reference token", Severity: high,
			// Reference tokens are 64 characters starting "cmVmd" (base64 of "ref").
			Keywords:    []string{"cmvmd"},
			Pattern:     `\b(cmVmd[0-9A-Za-z]{59})\b`,
			Check:       notPlaceholder,
			Remediation: "Revoke the token in the JFrog Platform (Administration > User management > Access tokens).",
			TruePositives: []string{
				`artifactoryRefToken := "cmVmdn5ezggduh9upf681k6x6kwe59sxod3vqox1snvnazxl5rb6ej7coha1vnlv"`,
			},
			FalsePositives: []string{
				`lowEntropy := cmVmdXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
				`wrongLength := "cmVmd0tijg48npv2bav4i7fp7qk6r7mb800jzp5tzruuc7xxzp7xjx"`,
			},
		},
		{
			ID: "jfrog-identity-token", Provider: "JFrog", Title: "JFrog identity or access token", Severity: high,
			// Identity tokens and API keys have no prefix: 64 or 73
			// alphanumerics next to a jfrog, artifactory, bintray or xray key name.
			Keywords:   []string{"jfrog", "artifactory", "bintray", "xray"},
			Lines:      1,
			Pattern:    keyed(`jfrog|artifactory|bintray|xray`, `[0-9A-Za-z]{73}|[0-9A-Za-z]{64}`),
			MinEntropy: 4.0, Placeholders: true,
			Remediation: "Revoke the token in the JFrog Platform and issue a scoped, expiring access token.",
			TruePositives: []string{
				`String jfrogToken = "7u7h3pnh0v0e69b5we4wyhjwpdk69iptbz53nrbf4eob5qtijbjne0nhfp106pyr";`,
				`--set imagePullSecretJfrog.password=9o2jo3rivxc5v3js9u6a2ufvdj1s9aeo0px4lwhqbf87z6nt84qynq8cd6ienymibt5oc9www`,
			},
			FalsePositives: []string{`artifactory_url: https://acme.jfrog.io/artifactory`, `jfrog_token: ${JFROG_TOKEN}`},
		},

		// ---- HashiCorp ----
		{
			ID: "terraform-cloud-api-token", Provider: "HashiCorp", Title: "HCP Terraform (Terraform Cloud) API token", Severity: critical,
			// Tokens are 14 alphanumerics, ".atlasv1.", and 60 to 70 more.
			Keywords:    []string{".atlasv1."},
			Pattern:     `\b([0-9A-Za-z]{14}\.atlasv1\.[0-9A-Za-z_\-=]{60,70})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Revoke the token in HCP Terraform (User settings > Tokens, or the team or organization token page).",
			TruePositives: []string{
				`var hashicorpTokenToken string = "21c6425bbdd53b.atlasv1.yu7h0o5aii-vw9s4tf=fk_p3clk7pvhtodf8kzxd9s-luwps8gf8r4t9gyuz"`,
				"credentials \"app.terraform.io\" {\n  token = \"Xq3Lm9Rt0Vb7Nw.atlasv1.kP2s9Wq0Zr7Mx3Vb8Nc1Ld4Hf6Jg5Ts2Ua0Ie9Oy3Rq7Ek1Wz5Xn8Cv4Bm6Hp2Jf9Ld1\"\n}",
			},
			FalsePositives: []string{
				`token        = "xxxxxxxxxxxxxx.atlasv1.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`,
			},
		},
		{
			ID: "vault-service-token", Provider: "HashiCorp", Title: "HashiCorp Vault service or recovery token", Severity: critical,
			// Vault 1.10+ tokens are "hvs." (service) or "hvr." (recovery)
			// and 90 or more characters; older service tokens are "s." and
			// 24 base62 characters, recognised only when they mix cases and digits.
			Keywords: []string{"hvs.", "hvr.", "vault", "token"},
			Pattern:  `\b((?:hvs|hvr)\.[0-9A-Za-z_\-]{90,120}|s\.[0-9A-Za-z]{24})` + `(?:[^0-9A-Za-z_\-.]|$)`,
			Check: func(s string) bool {
				return notPlaceholder(s) && (!strings.HasPrefix(s, "s.") || hasDigitAndMixedCase(s))
			},
			Remediation: "Revoke the token (`vault token revoke`) and its lease tree, and audit its use in the Vault audit log.",
			TruePositives: []string{
				`vault_api_token = "s.5nJewFsYcJEvaN3sIAWavY4k"`,
				`token: s.ZC9Ecf4M5g9o34Q6RkzGsj0z`,
				`VAULT_TOKEN=hvs.CAESIP2jTxc9S2K7Z6CtcFWQv7-044m_oSsxlO5HuV2bnA5oGh4KHGh2cy5qWkpNb0VwS2FYWVZjaGJHaThYVWZMR0s`,
			},
			FalsePositives: []string{
				`s.xxxxxxxxxxxxxxxxxxxxxxxx`,
				`token = s.THISSTRINGISALLUPPERCASE`,
				`token = s.thisstringisalllowercase`,
				`token: s.AcceptanceTimeoutSeconds `,
				`hvs.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			},
		},
		{
			ID: "vault-batch-token", Provider: "HashiCorp", Title: "HashiCorp Vault batch token", Severity: high,
			Keywords:    []string{"hvb."},
			Pattern:     `\b(hvb\.[0-9A-Za-z_\-]{138,300})` + tokenEnd,
			Check:       notPlaceholder,
			Remediation: "Batch tokens cannot be revoked one by one: revoke their parent or rotate the auth method's credentials; they expire with their TTL.",
			TruePositives: []string{
				`vaultToken = 'hvb.e41pazdiecyu8lxiudm5cuxvbdsls9pckdqo9y98n6duw8ypzoqqup4powga-k3it2pcpl3-nmlklh_73r_ogpon4c9gttb0n8ps8jj31kh8ta66l5flh7pnp50um1w1asnyf3rgu0'`,
			},
			FalsePositives: []string{`hvb.short`},
		},

		// ---- CI/CD services ----
		{
			ID: "travisci-access-token", Provider: "Travis CI", Title: "Travis CI API token", Severity: high,
			Keywords:   []string{"travis"},
			Lines:      1,
			Pattern:    keyed(named(`travis`), `[0-9A-Za-z_\-]{22}`),
			MinEntropy: 3.5, Placeholders: true,
			Check:         lettersAndDigits,
			Remediation:   "Regenerate the API token in Travis CI account settings.",
			TruePositives: []string{`travis_token: "ev5ttn2qdz3l4xg2gj8axh"`, `TRAVIS_API_TOKEN=Zq8Lr2Vm0Px7Tb3Nw9Yc1K`},
			FalsePositives: []string{
				`travis_branch: "feature-login-refactor"`,
				`TRAVIS_API_TOKEN=${TRAVIS_API_TOKEN}`,
			},
		},
		{
			ID: "circleci-token", Provider: "CircleCI", Title: "CircleCI personal or project API token", Severity: high,
			// Tokens made since 2023 are "CCIPAT_" or "CCIPRJ_", 22
			// characters, "_", and 40 hex.
			Keywords:    []string{"ccipat_", "cciprj_"},
			Pattern:     `\b(CCIP(?:AT|RJ)_[0-9A-Za-z]{22}_[0-9a-f]{40})\b`,
			Check:       notPlaceholder,
			Remediation: "Delete the token in CircleCI (User settings > Personal API tokens, or Project settings > API permissions).",
			TruePositives: []string{
				`CIRCLECI_TOKEN=CCIPAT_LkW3Xr9Zp2Vb7Nm4Qs8Tc1_3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d6f9a`,
			},
			FalsePositives: []string{`CCIPAT_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`},
		},
		{
			ID: "circleci-token-legacy", Provider: "CircleCI", Title: "CircleCI API token (legacy format)", Severity: high,
			// Older tokens are 40 hex characters next to a circle key name.
			Keywords:   []string{"circle"},
			Lines:      1,
			Pattern:    keyed(`circle[\w.\-]{0,20}?(?:token|key|secret|auth)`, `[0-9a-f]{40}`),
			MinEntropy: 3.0, Placeholders: true,
			Remediation:    "Delete the token in CircleCI (User settings > Personal API tokens, or Project settings > API permissions).",
			TruePositives:  []string{`circle_token: 8a4f2c9e1b7d3a6f5c0e9b8d2a1f4c7e3b6d9a0f`},
			FalsePositives: []string{`circle_sha1: 8a4f2c9e1b7d3a6f5c0e9b8d2a1f4c7e3b6d9a0f`, `CIRCLE_TOKEN: ${CIRCLE_TOKEN}`},
		},
		{
			ID: "droneci-access-token", Provider: "Drone", Title: "Drone CI access token", Severity: high,
			Keywords:   []string{"drone"},
			Lines:      1,
			Pattern:    keyed(named(`drone`), `[0-9A-Za-z]{32}`),
			MinEntropy: 3.5, Placeholders: true,
			Check:          lettersAndDigits,
			Remediation:    "Regenerate the token in the Drone user settings.",
			TruePositives:  []string{`droneciToken=xwb300m1dfqgqw48ap3cz8lpr4hx7cd8`, `DRONE_TOKEN: "Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8"`},
			FalsePositives: []string{`DRONE_SERVER=https://drone.example.com`, `drone_token: ${DRONE_TOKEN}`},
		},
		{
			ID: "codecov-access-token", Provider: "Codecov", Title: "Codecov upload or API token", Severity: medium,
			Keywords:     []string{"codecov"},
			Lines:        1,
			Pattern:      keyed(named(`codecov`), `[0-9A-Za-z]{32}|`+uuidPattern),
			Placeholders: true,
			Check:        func(s string) bool { return Entropy(s) >= 3.0 },
			Remediation:  "Regenerate the token in the repository's Codecov settings.",
			TruePositives: []string{
				`codecovToken = 'c3p1xj2rsyewpx28yvr7gmkcgxv68g4m'`,
				`CODECOV_TOKEN: 7d2b9f4e-3c1a-4e8b-9f6d-2a5c8e1b4d7f`,
			},
			FalsePositives: []string{`CODECOV_TOKEN: ${{ secrets.CODECOV_TOKEN }}`, `codecov_flags = "unittests"`},
		},
		{
			ID: "buildkite-agent-token", Provider: "Buildkite", Title: "Buildkite API access token", Severity: high,
			Keywords:       []string{"bkua_"},
			Pattern:        `\b(bkua_[0-9a-f]{40})\b`,
			Check:          notPlaceholder,
			Remediation:    "Revoke the token in Buildkite (Personal settings > API access tokens).",
			TruePositives:  []string{`BUILDKITE_API_TOKEN=bkua_3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d6f9a`},
			FalsePositives: []string{`bkua_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`},
		},
		{
			ID: "harness-api-key", Provider: "Harness", Title: "Harness personal or service account token", Severity: high,
			// "pat." or "sat.", then account id (22), token id (24) and secret (20), dot-separated.
			Keywords:    []string{"pat.", "sat."},
			Pattern:     `\b((?:pat|sat)\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z]{24}\.[0-9A-Za-z]{20})\b`,
			Check:       notPlaceholder,
			Remediation: "Delete the token in Harness (My profile > API keys, or the service account's API keys).",
			TruePositives: []string{
				`harness_token: 'pat.bp5awydr7u0pxe4qzkhsbs.2lde9v5twzla6i5e4yclfqcb.elhyjewca4q2xba8ddtj'`,
				`HARNESS_TOKEN="sat.1h5mn5dw5ztn4c4g194fjj.3ydigky2e680n4i6avp9hx4f.o1l2uuptwojl2yhu1fpt"`,
			},
			FalsePositives: []string{`pat.match(line)`, `sat.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxx`},
		},
		{
			ID: "octopus-deploy-api-key", Provider: "Octopus Deploy", Title: "Octopus Deploy API key", Severity: high,
			// API keys are "API-" and 26 upper-case alphanumerics.
			Keywords:    []string{"api-"},
			Pattern:     `\b(API-[0-9A-Z]{26})\b`,
			Check:       func(s string) bool { return notPlaceholder(s) && strings.ContainsAny(s[4:], "0123456789") },
			Remediation: "Revoke the API key in Octopus (Profile > My API keys) and use a service account with scoped permissions.",
			TruePositives: []string{
				`octopus_api_token = "API-XXAOU2HMEDE79GBQ0LEZTG6DV9"`,
				`set apikey="API-ZNRMR7SL6L3ATMOIK7GKJDKLPY"`,
			},
			FalsePositives: []string{
				`msgstr "GSSAPI-VIRHEKAPSELOINTIMERKKIJONO."`,
				`https://fog-ringer-f42.notion.site/API-BD80F56CDC1441E6BF6011AB6D852875`,
				`<iframe src="./archive/gifs/api-c99e353f761d318322c853c03e.gif"> </iframe>`,
			},
		},

		// ---- Developer platforms ----
		{
			ID: "snyk-api-token", Provider: "Snyk", Title: "Snyk API token", Severity: high,
			// Tokens are UUIDs, recognised next to a snyk key name.
			Keywords:    []string{"snyk"},
			Lines:       1,
			Pattern:     keyed(named(`snyk`), uuidPattern),
			Check:       notFiller,
			Remediation: "Revoke and regenerate the token in Snyk (Account settings > Auth token), or use a service account.",
			TruePositives: []string{
				`snykToken=12345678-ABCD-ABCD-ABCD-1234567890AB`,
				`SNYK_TOKEN: "7d2b9f4e-3c1a-4e8b-9f6d-2a5c8e1b4d7f"`,
			},
			FalsePositives: []string{`SNYK_TOKEN: ${{ secrets.SNYK_TOKEN }}`, `snyk_org: 00000000-0000-0000-0000-000000000000`},
		},
		{
			ID: "sonarqube-token", Provider: "SonarQube", Title: "SonarQube or SonarCloud token", Severity: high,
			// Tokens since SonarQube 9.5 are "sqp_" (project), "squ_" (user)
			// or "sqa_" (global analysis) and 40 hex.
			Keywords:       []string{"sqp_", "squ_", "sqa_"},
			Pattern:        `\b(sq[pua]_[0-9a-f]{40})\b`,
			Check:          notPlaceholder,
			Remediation:    "Revoke the token in SonarQube or SonarCloud (My account > Security).",
			TruePositives:  []string{`SONAR_TOKEN=sqp_3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d6f9a`},
			FalsePositives: []string{`sqp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `sqp_3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d`},
		},
		{
			ID: "sonarqube-token-legacy", Provider: "SonarQube", Title: "SonarQube token next to a sonar key name", Severity: high,
			// Older tokens are 40 characters with no prefix.
			Keywords:    []string{"sonar"},
			Lines:       1,
			Pattern:     keyed(`sonar[\w.\-]{0,20}?(?:token|login|key|secret|auth)`, `(?:sq[pua]_)?[0-9A-Za-z]{40}`),
			Check:       notFiller,
			Remediation: "Revoke the token in SonarQube or SonarCloud (My account > Security).",
			TruePositives: []string{
				`SONAR.LOGIN ::= "12345678ABCDEFH1234567890ABCDEFH12345678"`,
				`sonar.token = "sqa_12345678ABCDEFH1234567890ABCDEFH12345678"`,
			},
			FalsePositives: []string{`sonar.projectKey=acme_payments-service`, `SONAR_TOKEN=${SONAR_TOKEN}`},
		},
		{
			ID: "doppler-api-token", Provider: "Doppler", Title: "Doppler token", Severity: high,
			// "dp." and a type (pt personal, st service, sa service account,
			// ct CLI, scim, audit), then 40 to 44 base62 characters.
			Keywords:    []string{"dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."},
			Pattern:     `\b(dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[0-9a-z_\-]{1,40}\.)?[0-9A-Za-z]{40,44})\b`,
			Check:       notPlaceholder,
			Remediation: "Revoke the token in the Doppler dashboard (Tokens, or the config's Access tab).",
			TruePositives: []string{
				`dopplerToken="dp.pt.zrobvz85ca2156ggeowhy3up8sm6shy4u72tx6siotl"`,
				`DOPPLER_TOKEN=dp.st.prd.Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8Ae2Io0Uy`,
			},
			FalsePositives: []string{`dp.pt.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `dp.st.short`},
		},
		{
			ID: "pulumi-api-token", Provider: "Pulumi", Title: "Pulumi access token", Severity: high,
			Keywords:      []string{"pul-"},
			Pattern:       `\b(pul-[0-9a-z]{40})\b`,
			Check:         notPlaceholder,
			Remediation:   "Delete the token in Pulumi Cloud (Settings > Access tokens).",
			TruePositives: []string{`pulumi-api-token_token: pul-7bcefa5402f67cefcb47e1b135a96ef18274aeff`},
			FalsePositives: []string{
				`<img src="./assets/vipul-f0eb1acf0da84c06a50c5b2c59932001997786b176dec02bd16128ee9ea83628.png">`,
			},
		},
		{
			ID: "postman-api-token", Provider: "Postman", Title: "Postman API key", Severity: high,
			Keywords:       []string{"pmak-"},
			Pattern:        `\b(PMAK-[0-9a-f]{24}-[0-9a-f]{34})\b`,
			Check:          notPlaceholder,
			Remediation:    "Revoke the key in Postman (Settings > API keys).",
			TruePositives:  []string{`"postman_api_key": "PMAK-2387828600184f00abcfe2e3-787593897514543eb2f51107abb8fb05a2"`},
			FalsePositives: []string{`PMAK-2387828600184f00abcfe2e3`},
		},
		{
			ID: "sourcegraph-access-token", Provider: "Sourcegraph", Title: "Sourcegraph access token", Severity: high,
			// "sgp_", an optional 16-hex instance id and "_" (or "local_"),
			// and 40 hex.
			Keywords:      []string{"sgp_"},
			Pattern:       `\b(sgp_(?:[0-9a-fA-F]{16}_|local_)?[0-9a-fA-F]{40})\b`,
			MinEntropy:    3.5,
			Check:         notPlaceholder,
			Remediation:   "Delete the token in Sourcegraph (User settings > Access tokens).",
			TruePositives: []string{`sgp_AaD80dc6E02eCAE1_d3cba16CC0F18fA14A2EFB61CbDFceEBf9fAD16b`},
			FalsePositives: []string{
				`sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa`,
				`sgp_local_d45b6G86aBb0F2Cee943902dbaDBCFCFDD1dA089`,
				`sgp_652d9a2e48FC7E!FcDbEA1BC2E2A6CE23cFe7F7D`,
			},
		},
		{
			ID: "sourcegraph-access-token-legacy", Provider: "Sourcegraph", Title: "Sourcegraph access token (legacy format)", Severity: high,
			// Older tokens are 40 hex next to a sourcegraph key name.
			Keywords:       []string{"sourcegraph"},
			Lines:          1,
			Pattern:        keyed(`sourcegraph`, `[0-9a-fA-F]{40}`),
			MinEntropy:     3.5,
			Placeholders:   true,
			Remediation:    "Delete the token in Sourcegraph (User settings > Access tokens).",
			TruePositives:  []string{`sourcegraph: 6d2FabeB6ADd229Bc199FabA28fD3efb57dF0bD3`},
			FalsePositives: []string{`BcAeb6640ad7DAD46AD73687946Ce85047d5C9Bb`, `sourcegraph_commit: 0000000000000000000000000000000000000000`},
		},
		{
			ID: "infracost-api-token", Provider: "Infracost", Title: "Infracost API key", Severity: medium,
			Keywords:      []string{"ico-"},
			Pattern:       `(?:^|[^\w.\-/])(?P<secret>ico-[0-9A-Za-z]{32})(?:[^\w.\-]|$)`,
			Check:         notPlaceholder,
			Remediation:   "Rotate the key in Infracost Cloud (Org settings > API keys).",
			TruePositives: []string{`ico_token: ico-Yf02WXFGbC2f6iwkfWSiQ8AzzSavhWAq`, `INFRACOST_API_KEY="ico-Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8"`},
			FalsePositives: []string{
				`ico-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
				`http://assets.r7.com/assets/media_box_tv_tres_colunas/video_box.ico-7a388b69018576d24b59331fd60aab0c.png`,
				`https://explosivelab.notion.site/Pianificazione-Nerdz-Ng-pubblico-1bc826ecc0994dd8915be97fc3489cde?pvs=74`,
			},
		},
		{
			ID: "clojars-api-token", Provider: "Clojars", Title: "Clojars deploy token", Severity: high,
			Keywords:       []string{"clojars_"},
			Pattern:        `(?i)\b(?P<secret>CLOJARS_[0-9a-z]{60})\b`,
			Check:          notPlaceholder,
			Remediation:    "Disable the deploy token on clojars.org (Deploy tokens).",
			TruePositives:  []string{`clojarsToken = "CLOJARS_1nyct99srepq0grwity8g6157oddc618zh341nn071gjauav8oisz2sw484g"`},
			FalsePositives: []string{`CLOJARS_USERNAME=acme`},
		},
		{
			ID: "grafana-cloud-api-token", Provider: "Grafana", Title: "Grafana Cloud access policy token", Severity: high,
			// "glc_" and a base64 blob of 32 or more characters.
			Keywords:    []string{"glc_"},
			Pattern:     `\b(glc_[0-9A-Za-z+/]{32,400}={0,2})(?:[^0-9A-Za-z+/=_\-]|$)`,
			Check:       notPlaceholder,
			MinEntropy:  3.5,
			Remediation: "Delete the token in Grafana Cloud (Administration > Access policies).",
			TruePositives: []string{
				`grafana-cloud-api-tokenToken=glc_0iuogylvkb806qi9hfwramkebnxunq77`,
				`GRAFANA_CLOUD_TOKEN="glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMyIsImsiOiJhYmMxMjMiLCJtIjp7InIiOiJ1cyJ9fQ=="`,
			},
			FalsePositives: []string{
				`glc_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`   API_KEY="glc_111111111111111111111111111111111111111111="`,
				`static void GLC_CreateLightmapTextureArray(void);`,
			},
		},
		{
			ID: "grafana-service-account-token", Provider: "Grafana", Title: "Grafana service account token", Severity: high,
			// "glsa_", 32 base62 characters, "_", 8 hex (a checksum).
			Keywords:       []string{"glsa_"},
			Pattern:        `\b(glsa_[0-9A-Za-z]{32}_[0-9A-Fa-f]{8})\b`,
			Check:          notPlaceholder,
			Remediation:    "Delete the token in Grafana (Administration > Service accounts).",
			TruePositives:  []string{`grafana-service-account-tokenToken=glsa_hux4larkopb28bs2qa3dtn4vm4zk9s2q_d54d4925`},
			FalsePositives: []string{`glsa_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX_AAAAAAAA`},
		},
		{
			ID: "grafana-api-key", Provider: "Grafana", Title: "Grafana API key (legacy)", Severity: high,
			// Legacy API keys are base64 JSON starting {"k":" (eyJrIjoi).
			Keywords:    []string{"eyjrijoi"},
			Pattern:     `\b(eyJrIjoi[0-9A-Za-z+/]{70,400}={0,2})(?:[^0-9A-Za-z+/=]|$)`,
			Check:       notPlaceholder,
			Remediation: "Delete the key in Grafana (Administration > API keys) and migrate to service account tokens.",
			TruePositives: []string{
				`grafana-api-keyToken=eyJrIjoifvd3okqmehu162p4m0jk7ij64p5tuxlu3718wkg13pnugmro0k903gzyaubll0fh7t6rwk`,
			},
			FalsePositives: []string{`eyJrIjoiabc`},
		},
		{
			ID: "databricks-api-token", Provider: "Databricks", Title: "Databricks personal access token", Severity: high,
			Keywords:    []string{"dapi"},
			Pattern:     `\b(dapi[0-9a-f]{32}(?:-\d)?)\b`,
			Check:       notPlaceholder,
			Remediation: "Revoke the token in the Databricks workspace (User settings > Developer > Access tokens) and prefer OAuth for service principals.",
			TruePositives: []string{
				`databricks_token: dapifb0c25b2b9129261df348fb8a432c43c`,
				"DATABRICKS_TOKEN=dapi3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e-2\n",
			},
			FalsePositives: []string{`DATABRICKS_TOKEN=dapi123456789012345678a9bc01234defg5`, `dapixxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`},
		},
		{
			ID: "linear-api-key", Provider: "Linear", Title: "Linear API key", Severity: high,
			Keywords:       []string{"lin_api_"},
			Pattern:        `\b(lin_api_[0-9A-Za-z]{40})\b`,
			Check:          notPlaceholder,
			Remediation:    "Revoke the key in Linear (Settings > Account > Security & access > API keys).",
			TruePositives:  []string{`linear_TOKEN = "lin_api_lyfb95d345y9eilq9v0qc9g94x0qkg8g7av27epm"`},
			FalsePositives: []string{`lin_api_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`},
		},
		{
			ID: "linear-client-secret", Provider: "Linear", Title: "Linear OAuth client secret", Severity: high,
			Keywords:   []string{"linear"},
			Lines:      1,
			Pattern:    keyed(named(`linear`), `[0-9a-f]{32}`),
			MinEntropy: 3.0, Placeholders: true,
			Remediation:    "Rotate the OAuth application's client secret in Linear (Settings > API > OAuth applications).",
			TruePositives:  []string{`linearToken="15810abf735c1f5fdd2969b95ec6be45"`},
			FalsePositives: []string{`linear_scale = "0.5"`, `LINEAR_CLIENT_SECRET=${LINEAR_CLIENT_SECRET}`},
		},
	}
}

// githubToken is a GitHub token detector for one prefix: the prefix and 36
// base62 characters.
func githubToken(id, title, prefix string, sev finding.Severity, remediation string) Detector {
	return Detector{
		ID: id, Provider: "GitHub", Title: title, Severity: sev,
		Keywords:    []string{prefix},
		Pattern:     `\b(` + prefix + `[0-9A-Za-z]{36})\b`,
		Check:       notPlaceholder,
		Remediation: remediation,
		TruePositives: []string{
			`githubToken = "` + prefix + `w7tp7c2qqdq12k476im52k981bqvo912befb"`,
			"GH_TOKEN=" + prefix + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx\n",
			`git clone https://x-access-token:` + prefix + `Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8Ae2I@github.com/acme/app.git`,
		},
		FalsePositives: []string{
			prefix + `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`foo_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx`,
			prefix + `wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx1`, // 37 characters
			prefix + `wWPw5k4aXcaT4fNP0Uc`,
		},
	}
}

// gitlabToken is a GitLab token detector: a prefix and a body pattern.
// GitLab documents every prefix; bodies are [0-9A-Za-z_-] of a fixed length,
// or for routable tokens a base64url payload, ".", and a 9-character suffix.
func gitlabToken(id, title, prefix, body string, tps, fps []string) Detector {
	return Detector{
		ID: id, Provider: "GitLab", Title: title, Severity: high,
		Keywords:       []string{prefix},
		Pattern:        tokenStart + `(?P<secret>` + strings.ReplaceAll(prefix, ".", `\.`) + body + `)` + `(?:[^0-9A-Za-z_\-.]|\.(?:[^0-9A-Za-z]|$)|$)`,
		Check:          notPlaceholder,
		Remediation:    "Revoke the token in GitLab (the settings page of the user, project, group or runner that owns it) and review the audit events.",
		TruePositives:  tps,
		FalsePositives: fps,
	}
}
