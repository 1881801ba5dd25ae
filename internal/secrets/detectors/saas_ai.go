package detectors

import "strings"

func saasAIDetectors() []Detector {
	return []Detector{
		{
			ID: "openrouter-api-key", Provider: "OpenRouter", Title: "OpenRouter API key", Severity: high,
			// OpenRouter keys are "sk-or-v1-" and 64 hex characters.
			Keywords:    []string{"sk-or-v1-"},
			Pattern:     `\b(?P<secret>sk-or-v1-[0-9a-f]{64})\b`,
			Check:       notPlaceholder,
			Remediation: "Delete the key at openrouter.ai/keys, create a new one with a credit limit, and keep it in a secret manager.",
			TruePositives: []string{
				`OPENROUTER_API_KEY=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`,
			},
			FalsePositives: []string{
				`OPENROUTER_API_KEY=sk-or-v1-your-key-here`,
				`OPENROUTER_API_KEY=sk-or-v1-a4c123b1612dd272d1371c17149d439536b3216fdaeeb975729fae923d5a4fd`, // 63 hex
			},
		},
		{
			ID: "openai-api-key", Provider: "OpenAI", Title: "OpenAI API key (user, project or service account)", Severity: high,
			// Every key format carries "T3BlbkFJ" (base64 of "OpenAI") in its middle.
			Keywords:    []string{"t3blbkfj"},
			Pattern:     saasPrefixed(`sk-(?:(?:proj|svcacct|service)-)?[A-Za-z0-9_\-]{20,160}T3BlbkFJ[A-Za-z0-9_\-]{20,160}`),
			Check:       func(s string) bool { return !strings.HasPrefix(s, "sk-admin-") },
			Remediation: saasRotate("the OpenAI platform under API keys (project or service-account keys under the project's settings)"),
			TruePositives: []string{
				`OPENAI_API_KEY=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`,
				`"OPENAI_API_KEY = "sk-proj-e7Rg6fvtwZyCu6K5Xbye9mDc_uJBobK_WfNDVXlqk_VFDxwHHhX4qIga5aT3BlbkFJaap9fKsO8ZOojxBQ3Sm1dzU20_zh91aUfZAAC-7tpVZ6nkww7mXSjRwP"`,
			},
			FalsePositives: []string{
				`sk-proj-Xi8tdMjHV6pmbBbwilTeT4BlbkFJ3UDnpdEwNNm6wVBpYM0o`,
				`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`,
			},
		},
		{
			ID: "openai-admin-api-key", Provider: "OpenAI", Title: "OpenAI admin API key", Severity: critical,
			Keywords:       []string{"sk-admin-"},
			Pattern:        saasPrefixed(`sk-admin-[A-Za-z0-9_\-]{20,160}T3BlbkFJ[A-Za-z0-9_\-]{20,160}`),
			Remediation:    saasRotate("the OpenAI platform under Organization settings > Admin keys"),
			TruePositives:  []string{`"openai_admin_api_key": "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"`},
			FalsePositives: []string{`sk-admin-GgWSZ4rkS39bD0ojhPv3QPJMqcy-o7_HE_6uXDKItXn7VqF4dHMGRlUPRr`},
		},
		{
			ID: "anthropic-api-key", Provider: "Anthropic", Title: "Anthropic API key", Severity: high,
			Keywords:       []string{"sk-ant-api03-"},
			Pattern:        saasPrefixed(`sk-ant-api03-[a-zA-Z0-9_\-]{93}AA`),
			Remediation:    saasRotate("the Anthropic Console under Settings > API keys"),
			TruePositives:  []string{`ANTHROPIC_API_KEY=sk-ant-api03-d96LmvyI2JwAu93xMnbzLWPC8e7YZDFqZ6bbor5NKZzkxAqS54qSShQZ1vnzfOoZKpHAywckarFHMbd4ARH1ZAg4MoK-JAA`},
			FalsePositives: []string{`sk-ant-api03-oDfgiLGe0PG7_B-ip9oVvlrmPrdJC7_EF0zQgaEw011p8SLQr7a_hflvaMJ56_aTNI6Kd36ujxZA9wdUQeGs9u-XVJqsNBB`, `sk-ant-api03-Gsa6pzs56CeS_SJpsR5xpxFRQnsPE1lYf23Svb-DxhKIwFbDbnWc_1qqe86_AA`},
		},
		{
			ID: "anthropic-admin-api-key", Provider: "Anthropic", Title: "Anthropic admin API key", Severity: critical,
			Keywords:       []string{"sk-ant-admin01-"},
			Pattern:        saasPrefixed(`sk-ant-admin01-[a-zA-Z0-9_\-]{93}AA`),
			Remediation:    saasRotate("the Anthropic Console under Settings > Admin keys"),
			TruePositives:  []string{`anthropic_admin_key = "sk-ant-admin01-OATSKwdYNrVEIkW5XA7Am8uJy6KuaOrxxtWXCYsYhSmK9pdTSedY8PnrnPy6VwTA24M853kmxJuQ0XuuX8m4EofijOddAAA"`},
			FalsePositives: []string{`sk-ant-admin01-70Ec-x-whiE4qYWE1OlABCPWWqGTp4OumzRyugKSCK3_U2xJ9HtNtGGWsh14kBfnFvMIdTprjvt_vWU0nFHnHvSH4m9gaBB`},
		},
		{
			ID: "huggingface-access-token", Provider: "Hugging Face", Title: "Hugging Face user access token", Severity: high,
			Keywords:     []string{"hf_"},
			Pattern:      saasPrefixed(`hf_[a-zA-Z]{34}`),
			Check:        saasMixedCase,
			Placeholders: true,
			Remediation:  saasRotate("Hugging Face under Settings > Access Tokens"),
			TruePositives: []string{
				`HF_TOKEN=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`,
				`huggingfaceToken := "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"`,
			},
			FalsePositives: []string{
				`- (id)hf_requiredCharacteristicTypesForDisplayMetadata;`,
				`HUGGINGFACE_API_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
				`&hf_servingcellpriorityparametersdescription_h_prio`,
			},
		},
		{
			ID: "huggingface-organization-api-token", Provider: "Hugging Face", Title: "Hugging Face organization API token", Severity: high,
			Keywords:     []string{"api_org_"},
			Pattern:      saasPrefixed(`api_org_[a-zA-Z]{34}`),
			Check:        saasMixedCase,
			Placeholders: true,
			Remediation:  saasRotate("Hugging Face under the organization's settings (API tokens are legacy: move to fine-grained user tokens)"),
			TruePositives: []string{
				`huggingfaceToken=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`,
			},
			FalsePositives: []string{
				`public static final String API_ORG_EXIST = "APIOrganizationExist";`,
				`old tokens are api_org_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX`,
			},
		},
		{
			ID: "cohere-api-token", Provider: "Cohere", Title: "Cohere API key", Severity: high,
			Keywords:       []string{"cohere", "co_api_key"},
			Pattern:        saasNear(`[a-zA-Z0-9]{40}`, "cohere", "co_api_key"),
			Lines:          1,
			MinEntropy:     3.5,
			Placeholders:   true,
			Remediation:    saasRotate("the Cohere dashboard under API Keys"),
			TruePositives:  []string{`export CO_API_KEY=m2O1wV8hrztyEm5CjJQn6fagC8CxicQ6mwHdUhuW`, `cohere_api_token = "GT3PJ98gVgVcBD8EsZbGZMXJr2dkrtVQGKjkeZ8M"`},
			FalsePositives: []string{`CO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `cohere_api_token = "hSuZ4nHO1MrWcAwAict3viYLp376Nt43PnFKCnljz"`},
		},
		{
			ID: "perplexity-api-key", Provider: "Perplexity", Title: "Perplexity API key", Severity: high,
			Keywords:       []string{"pplx-"},
			Pattern:        saasPrefixed(`pplx-[a-zA-Z0-9]{48}`),
			Placeholders:   true,
			Remediation:    saasRotate("Perplexity under Settings > API"),
			TruePositives:  []string{`PERPLEXITY_API_KEY=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`},
			FalsePositives: []string{`PERPLEXITY_API_KEY=pplx-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, `pplx-O0Y9g42S1jT0Ahdf65XOIOGMbgdhk50sDRuqgiv05dhjp4j`},
		},
		{
			ID: "groq-api-token", Provider: "Groq", Title: "Groq API key", Severity: high,
			Keywords:       []string{"gsk_"},
			Pattern:        saasPrefixed(`gsk_[a-zA-Z0-9]{52}`),
			Placeholders:   true,
			Remediation:    saasRotate("the Groq console under API Keys"),
			TruePositives:  []string{`GROQ_API_KEY=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`},
			FalsePositives: []string{`gsk_e92YW9NMPSDrbtBlzEI8TITKM2XoCHHo6nA2mWBA7J5kDku9vNN`},
		},
		{
			ID: "replicate-api-token", Provider: "Replicate", Title: "Replicate API token", Severity: high,
			Keywords:       []string{"r8_"},
			Pattern:        saasPrefixed(`r8_[a-zA-Z0-9]{37}`),
			Placeholders:   true,
			Remediation:    saasRotate("Replicate under Account > API tokens"),
			TruePositives:  []string{`REPLICATE_API_TOKEN=r8_44XaPkwXT1hdC48weODgSbnE1GYm695Is3561`},
			FalsePositives: []string{`r8_ml8XyY8o5LdnsM9PBN7dYG2VZsGBO1h5kPhJ`, `var r8_re9d0oaqncMw3a80b0QPqGJ3QwnZ0D0wEgXpcx`},
		},
		{
			ID: "mistral-api-key", Provider: "Mistral AI", Title: "Mistral AI API key", Severity: high,
			Keywords: []string{"mistral"}, Pattern: saasNear(`[a-zA-Z0-9]{32}`, "mistral"), Lines: 1, MinEntropy: 3.5, Placeholders: true,
			Remediation:    saasRotate("Mistral's La Plateforme under API Keys"),
			TruePositives:  []string{`MISTRAL_API_KEY=5dv5yVGwATPEMoNSVpR4WAmV7vpKL1hj`},
			FalsePositives: []string{`MISTRAL_API_KEY=lKCWWpXavYdqoxecp9skCRsT7qYsQ1nMM`, `MISTRAL_MODEL=mistral-large-latest`},
		},
		{
			ID: "privateai-api-token", Provider: "Private AI", Title: "Private AI API key", Severity: high,
			Keywords:       []string{"privateai", "private_ai", "private-ai"},
			Pattern:        saasNear(`[a-zA-Z0-9]{32}`, "privateai", "private_ai", "private-ai"),
			Lines:          1,
			MinEntropy:     3,
			Placeholders:   true,
			Remediation:    saasRotate("the Private AI customer portal"),
			TruePositives:  []string{`privateai_api_token = "7j9oeimn9ygpwqqq216oqmduuta4hp0g"`},
			FalsePositives: []string{`const privateaiToken = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";`},
		},
	}
}
