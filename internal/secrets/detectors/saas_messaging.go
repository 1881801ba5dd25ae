package detectors

import (
	"encoding/base64"
	"strings"
)

// saasSlackLastPart reports whether a Slack token's last dash-separated part
// has a letter: real tokens end in a random part, "xoxp-1-2-3" does not.
func saasSlackLastPart(s string) bool {
	last := s[strings.LastIndexByte(s, '-')+1:]
	return strings.ContainsFunc(last, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
}

func saasMessagingDetectors() []Detector {
	const slackRevoke = "Revoke the token (auth.revoke, or reinstall the app / regenerate the token under the app's " +
		"OAuth & Permissions page at api.slack.com/apps), issue a new one into a secret manager, and review the " +
		"workspace's access logs for use of the old token."
	return []Detector{
		{
			ID: "slack-bot-token", Provider: "Slack", Title: "Slack bot token", Severity: high,
			// xoxb-{team id}-{bot user id}-{24 random}; legacy bots have one id.
			Keywords:    []string{"xoxb-"},
			Pattern:     saasPrefixed(`xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[a-zA-Z0-9]{12,34}`),
			Check:       saasSlackLastPart,
			Remediation: slackRevoke,
			TruePositives: []string{
				`SLACK_BOT_TOKEN=xoxb-258244008725-5069775559976-1qwfFaQy3q7866oWIBgJ8yfa`,
				`bot_token: "xoxb-146811807266-uWfMjXMYNGIlPi1i75ZYMMXB"`,
			},
			FalsePositives: []string{
				`SLACK_BOT_TOKEN=xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx`,
				`token = "xoxb-12345-abcd234"`,
				`xoxb-523380662516-7845363020556-CxcoSNKONWOgFt0f1K2QngGo-extra`,
			},
		},
		{
			ID: "slack-user-token", Provider: "Slack", Title: "Slack user token", Severity: high,
			Keywords:    []string{"xoxp-", "xoxe-"},
			Pattern:     saasPrefixed(`xox[pe]-[0-9]{8,14}(?:-[0-9]{8,14}){0,2}-[a-zA-Z0-9]{12,64}`),
			Check:       saasSlackLastPart,
			Remediation: slackRevoke,
			TruePositives: []string{
				`"user_token": "xoxp-73846303820-1787637429-74737170510-b5735c066d604473cafede4655583e62"`,
				`slack token - 'xoxp-30963887074-2904943966938c'`,
			},
			FalsePositives: []string{
				`"token": "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d"`,
				`"token": "xoxp-611157727997-806593084356-216131548144-####################"`,
				`https://docs.google.com/document/d/1W7KCxOxP-1Fy5EyF2lbJGE2WuKmu5v0suYqoHas1jRM`,
			},
		},
		{
			ID: "slack-legacy-token", Provider: "Slack", Title: "Slack legacy token", Severity: high,
			Keywords:    []string{"xoxo-", "xoxs-"},
			Pattern:     saasPrefixed(`xox[os]-[0-9]{1,20}-[0-9]{1,20}-[0-9]{1,20}-[a-fA-F0-9]{8,64}`),
			Remediation: slackRevoke + " Legacy tokens cannot be reissued: move the integration to a Slack app.",
			TruePositives: []string{
				`slack_token = "xoxs-406927611984-414276686-2688330322-a60991473d"`,
			},
			FalsePositives: []string{
				`https://indieweb.org/images/3/35/2018-250-xoxo-indieweb-1.jpg`,
				`xoxs-875195782467-968865527-7326292481`,
			},
		},
		{
			ID: "slack-workspace-token", Provider: "Slack", Title: "Slack workspace or refresh token (xoxa, xoxr)", Severity: high,
			Keywords:    []string{"xoxa-", "xoxr-"},
			Pattern:     saasPrefixed(`xox[ar]-(?:[0-9]-)?[0-9a-zA-Z]{8,48}(?:-[0-9a-zA-Z]{1,48}){0,4}`),
			Check:       func(s string) bool { return saasSlackLastPart(s) && saasDigitAndLetter(s[5:]) },
			Remediation: slackRevoke,
			TruePositives: []string{
				`"slack_token": "xoxa-2-535031585-52679289352-0126943156526-ceb37fad94fa8759bc"`,
				`slack token - 'xoxr-409744556172-93116902532l'`,
			},
			FalsePositives: []string{
				`https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md`,
				`xoxa-329950420606`,
			},
		},
		{
			ID: "slack-config-access-token", Provider: "Slack", Title: "Slack app configuration access token", Severity: high,
			Keywords:    []string{"xoxe.xox"},
			Pattern:     saasPrefixed(`xoxe\.xox[bp]-[0-9]-[a-zA-Z0-9]{146,170}`),
			Remediation: "Revoke it with tooling.tokens.rotate or regenerate it under Your Apps > App Configuration Tokens, and keep the new one in a secret manager.",
			TruePositives: []string{
				`SLACK_CONFIG_TOKEN=xoxe.xoxp-1-oh5WhRlS4QNN0xePXK72zSEWELcaafw2Eh8Zy5BexKJLnaSwjEXFq3iYLqrjWyaehjOogjAx27ptXaPxumFJCq2UVDJSySb0vpy07b5GbDklMbnNNDJ9VWOonnm9zTAuk2VqdXvSIrb0f0WDmQsqyD3Nig6gPEOSM072Bo`,
			},
			FalsePositives: []string{
				`xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere`,
				`xoxe.xoxp-1-initial`,
			},
		},
		{
			ID: "slack-config-refresh-token", Provider: "Slack", Title: "Slack app configuration refresh token", Severity: high,
			Keywords:    []string{"xoxe-"},
			Pattern:     saasPrefixed(`xoxe-[0-9]-[a-zA-Z0-9]{140,160}`),
			Remediation: "Regenerate the app configuration tokens under Your Apps > App Configuration Tokens; the old refresh token stops working.",
			TruePositives: []string{
				`refresh_token: xoxe-1-cPCZwSExvR6UcjVz9QqVDMA9UDQEP0pWlLsR1GlKsvtoCT55uf8cVSTtrKDIxkmsfWxsGP7zZVUdP5QhyX4OpTrzU2H4BzB9SPTtsLdP1FromokYx6aN88vUaG2U5IVv2wAruKRqWwbPnriWfj`,
			},
			FalsePositives: []string{`xoxe-1-xxx`, `XOxE-RROAmw, Home and Garden, 5:24, 20120323`},
		},
		{
			ID: "slack-app-token", Provider: "Slack", Title: "Slack app-level token", Severity: high,
			Keywords:    []string{"xapp-"},
			Pattern:     saasPrefixed(`xapp-[0-9]-[A-Za-z0-9]{9,12}-[0-9]{10,14}-[a-zA-Z0-9]{64}`),
			Remediation: "Revoke the app-level token under Basic Information > App-Level Tokens at api.slack.com/apps and generate a new one into a secret manager.",
			TruePositives: []string{
				`SLACK_APP_TOKEN=xapp-1-AWM4QPAUA49-6897165849910-2e0b4bc26e924ce0007fd5ca21e6a1a5cf183900efaadc5ceaa823eb669bc01e`,
			},
			FalsePositives: []string{`xapp-1-A052FGTS2DL-5171572773297-610b6a11`},
		},
		{
			ID: "slack-webhook-url", Provider: "Slack", Title: "Slack incoming or workflow webhook URL", Severity: medium,
			Keywords: []string{"hooks.slack.com"},
			Pattern:  `(?P<secret>(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,100})(?:[^\w+/]|$)`,
			Remediation: "Anyone with the URL can post to the channel: remove the webhook in the app's Incoming Webhooks " +
				"page (or delete the workflow trigger), create a new one, and keep it in a secret manager.",
			TruePositives: []string{
				`SLACK_WEBHOOK=https://hooks.slack.com/services/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`,
				`url: "https://hooks.slack.com/workflows/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"`,
			},
			FalsePositives: []string{
				`https://hooks.slack.com/apps/LAGGINGEXAMPLE/BASE/91nziTEEzAAcaNZiz1mPPoXyS`,
				`https://hooks.slack.com/services/T000/B000/XXXX`,
			},
		},
		{
			ID: "discord-webhook-url", Provider: "Discord", Title: "Discord webhook URL", Severity: medium,
			Keywords:    []string{"discord.com/api/webhooks", "discordapp.com/api/webhooks"},
			Pattern:     `(?P<secret>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{60,72})(?:[^\w\-]|$)`,
			Remediation: "Delete the webhook under Server Settings > Integrations > Webhooks and create a new one; anyone with the URL can post as it.",
			TruePositives: []string{
				`DISCORD_WEBHOOK=https://discord.com/api/webhooks/069656796885811391/j-9L02_wuNHUJaBI25roHihlwgYj26Kwa8OAmgYneLI36mYhY4C8dopdvH52rJGmtaba`,
			},
			FalsePositives: []string{`https://discord.com/api/webhooks/123/abc`},
		},
		{
			ID: "discord-bot-token", Provider: "Discord", Title: "Discord bot token", Severity: high,
			// base64(user id) . base64(timestamp) . HMAC, named as a Discord value.
			Keywords:    []string{"discord"},
			Pattern:     saasNear(`[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}`, "discord"),
			Lines:       1,
			Remediation: "Reset the token under the application's Bot page in the Discord Developer Portal and store the new one in a secret manager.",
			TruePositives: []string{
				`DISCORD_TOKEN=MToWVLK8H3rLcAr3ySdwOm5y.V_sXiL.w-5vwQf2TeFsV8E4jomkNjZUPOX`,
				`discord_secret: "oK76OAGDczHesiX8n8Zd8CMw.qR4mW3.89qQx-PxfZdD3Terjybaa-gqaMh"`,
			},
			FalsePositives: []string{`discord_token: MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ`},
		},
		{
			ID: "discord-bot-token-standalone", Provider: "Discord", Title: "Discord bot token", Severity: high,
			// A bot token is three base64url parts: the bot's user id (a
			// decimal snowflake, so its base64 starts M, N or O and then D, T,
			// j or z), a 6-character timestamp, and a 27-38 character HMAC.
			// That structure is distinctive enough to stand without a nearby
			// "discord"; the two-letter start only counts at a token start and
			// in exactly this case.
			CaseKeywords: []string{"MD", "MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT", "Oj", "Oz"},
			TokenStart:   true,
			Pattern:      saasPrefixed(`[MNO][DTjz][A-Za-z0-9_\-]{21,26}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}`),
			Check:        discordBotToken,
			Remediation:  "Reset the token under the application's Bot page in the Discord Developer Portal; anyone holding it controls the bot.",
			TruePositives: []string{
				`client.login("MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs")`,
				"BOT_TOKEN=Nzk5MjgxNDk0NDc2NDU1OTg3.YABS5g.2lmzECVlZv3vv6miVnUaKPQi2wI\n",
			},
			FalsePositives: []string{
				`MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.short`,
				`xMTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs`,
				`mtk4njiynDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs`,
			},
		},
		{
			ID: "discord-api-token", Provider: "Discord", Title: "Discord API key", Severity: high,
			Keywords: []string{"discord"}, Pattern: saasNear(`[a-f0-9]{64}`, "discord"), Lines: 1, MinEntropy: 3,
			Remediation:   "Regenerate the key in the Discord Developer Portal and store the new one in a secret manager.",
			TruePositives: []string{`discordToken := "20de111e8160ac335c8ef497c3f6510eeb9229f175921d428754d1fd4bf2aa67"`, "<discordKey>\n    5f993a7f6759a9cf1b278d3535a838af000a5bedfdc64eb4118acef66c552d46\n</discordKey>"},
			FalsePositives: []string{
				`discordToken := "c0f8e9ace4fd6cac99ecd08fe37cd235abc067bca928249ac7f3ba19ff87954"`,
				`discord = "0000000000000000000000000000000000000000000000000000000000000000"`,
			},
		},
		{
			ID: "discord-client-id", Provider: "Discord", Title: "Discord client id", Severity: low,
			Keywords: []string{"discord"}, Pattern: saasNear(`[0-9]{17,19}`, "discord"), Lines: 1, MinEntropy: 2.5, Placeholders: true,
			Remediation:    "A client id identifies the application; check that its client secret and bot token are not exposed next to it.",
			TruePositives:  []string{`DISCORD_CLIENT_ID=560401507470279552`},
			FalsePositives: []string{`discord=000000000000000000`, `discord_client_id=001510977521`},
		},
		{
			ID: "discord-client-secret", Provider: "Discord", Title: "Discord client secret", Severity: high,
			Keywords: []string{"discord"}, Pattern: saasNear(`[a-zA-Z0-9=_\-]{32}`, "discord"), Lines: 1, MinEntropy: 3, Placeholders: true,
			Remediation:    "Reset the client secret under OAuth2 in the Discord Developer Portal and store the new one in a secret manager.",
			TruePositives:  []string{`DISCORD_CLIENT_SECRET="HNaShoxY7IrMwf8al2GR1NYClmY0zeFf"`, `discord_token: 11657776604057369010915982379484`},
			FalsePositives: []string{`discord=00000000000000000000000000000000`, `discord_client_secret=${DISCORD_CLIENT_SECRET}`},
		},
		{
			ID: "telegram-bot-token", Provider: "Telegram", Title: "Telegram bot token", Severity: high,
			// {bot id}:{35 characters}; the secret part of every issued token starts with "AA".
			Keywords:    []string{":aa"},
			Pattern:     `(?:^|[^\w:/])(?P<secret>[0-9]{8,10}:AA[A-Za-z0-9_\-]{33})(?:[^\w\-]|$)`,
			Remediation: "Revoke the token with @BotFather (/revoke), store the new one in a secret manager, and check the bot's recent activity.",
			TruePositives: []string{
				`516625518:AAFxHd-fBMa1pzIDcqGsWukhD1Jt3dX2HH9`,
				`TOKEN = "8197188818:AAinZvSI_WcI6VyAlbJrE75xJTxCDOlqVE2"`,
			},
			FalsePositives: []string{
				`bot110201543:AAHdqTcvCH1vGWJxfSe1ofSAs0K5PALDsaw`,
				`foo:AAH1bjqpKKW3maRSPAxzIU-0v6xNuq2-NjM`,
				`561525508:AA5qYdsspHKae6UhE7DGrgVIn06kTXKeWihj`,
			},
		},
		{
			ID: "telegram-bot-api-token", Provider: "Telegram", Title: "Telegram bot token near a Telegram name or URL", Severity: high,
			Keywords:    []string{"telegram", "tgbot", "tg_bot"},
			Pattern:     saasNear(`[0-9]{5,16}:[A-Za-z0-9_\-]{35}`, "telegram", "tgbot", "tg_bot"),
			Lines:       1,
			MinEntropy:  3,
			Remediation: "Revoke the token with @BotFather (/revoke), store the new one in a secret manager, and check the bot's recent activity.",
			TruePositives: []string{
				`telegram_token = "00719630:APa1Egs5kbvYfKHg6sb3ifsGDvtWuSJBj4E"`,
				`telegrambottoken token = '449297229:B_wo87BjgSWDC4LpGcVnhOCFzwRAcw0Ibf2'`,
			},
			FalsePositives: []string{
				`telegram_api_token = "5199:Ahr34iiyo6m7zmj-1elb0z8wyyypt4kira_"`,
				`telegram_api_token = "07532034779980017:Aobdzb42j2jsw7yz20jmqac3_pgbqeqpaug"`,
			},
		},
		{
			ID: "telegram-bot-token-url", Provider: "Telegram", Title: "Telegram bot token in a Bot API URL", Severity: high,
			Keywords:       []string{"api.telegram.org/bot"},
			Pattern:        `api\.telegram\.org/(?:file/)?bot(?P<secret>[0-9]{5,16}:[A-Za-z0-9_\-]{35})(?:[^\w\-]|$)`,
			Remediation:    "Revoke the token with @BotFather (/revoke) and keep the new one out of URLs that end up in logs and code.",
			TruePositives:  []string{`curl https://api.telegram.org/bot0542847222:AAYqv1yL9RPtJKvtaVkG8KVRxuTO7w6Nf9t/getMe`},
			FalsePositives: []string{`https://api.telegram.org/bot<token>/getMe`},
		},
		{
			ID: "microsoft-teams-webhook", Provider: "Microsoft Teams", Title: "Microsoft Teams incoming webhook URL", Severity: medium,
			Keywords: []string{"webhook.office.com", "outlook.office.com/webhook"},
			Pattern: `(?P<secret>https://[a-zA-Z0-9\-]{1,60}\.(?:webhook\.office\.com/webhookb2|office\.com/webhook)/` +
				`[a-zA-Z0-9\-]{20,40}@[a-zA-Z0-9\-]{20,40}/IncomingWebhook/[a-zA-Z0-9]{20,40}/[a-zA-Z0-9\-]{20,40}(?:/[a-zA-Z0-9_\-]{10,80})?)`,
			Remediation: "Remove the Incoming Webhook connector from the channel, add a new one, and keep its URL in a secret manager; " +
				"anyone with the URL can post to the channel.",
			TruePositives: []string{
				`https://contoso.webhook.office.com/webhookb2/fd2a59c5-4814-6a7b-791b-3020e09f70a0@8f40b0cd-5bb0-49a9-850d-34d72788b5a1/IncomingWebhook/2ab41a56a95a4cccd38ef1b06a8975c5/1aaab711-7a38-3be3-b9d6-9cffbae6faa9`,
			},
			FalsePositives: []string{`https://contoso.webhook.office.com/webhookb2/<group>@<tenant>/IncomingWebhook/<id>/<owner>`},
		},
		{
			ID: "microsoft-teams-workflow-webhook", Provider: "Microsoft Teams", Title: "Teams workflow (Power Automate) webhook URL", Severity: medium,
			Keywords: []string{"powerplatform.com", "logic.azure.com"},
			Pattern: `(?P<secret>https://[a-zA-Z0-9.\-]{1,120}\.(?:environment\.api\.powerplatform\.com|logic\.azure\.com)(?::443)?/` +
				`[^\s'"<>]{0,300}?[?&]sig=[A-Za-z0-9_%\-]{20,100})`,
			Remediation: "Delete or re-create the workflow's HTTP trigger (the sig parameter is its key) and keep the URL in a secret manager.",
			TruePositives: []string{
				`TEAMS_URL=https://defaultb8b969b8b52a52d667431b31b6a494.62.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/40efdef92b9b7c68a7bcb01eb05d9417/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=wbbRoAgo_pvdK6CsjGfliboez-HrNWbVO8uxS1KFtvI`,
			},
			FalsePositives: []string{`https://make.powerplatform.com/environments/`},
		},
		{
			ID: "mattermost-access-token", Provider: "Mattermost", Title: "Mattermost access token", Severity: high,
			Keywords: []string{"mattermost"}, Pattern: saasNear(`[a-z0-9]{26}`, "mattermost"), Lines: 1, MinEntropy: 3, Placeholders: true,
			Remediation:    saasRotate("Mattermost under Profile > Security > Personal Access Tokens (or System Console for bot accounts)"),
			TruePositives:  []string{`MATTERMOST_TOKEN=uv4jbtakgpywhnazvw1dpyusa2`, "<mattermostToken>\n    g6jfwrk013xgfxwpjjios2w8la\n</mattermostToken>"},
			FalsePositives: []string{`MATTERMOST_TOKEN=hpsg2url9qvfwsntr0pcm8pg1ts`, `mattermost keyword is not close to the real key in the data` + "\n" + ` = '817k6xr9iot8ze6zep34ukgrid'`},
		},
		{
			ID: "gitter-access-token", Provider: "Gitter", Title: "Gitter access token", Severity: medium,
			Keywords: []string{"gitter"}, Pattern: saasNear(`[a-z0-9_\-]{40}`, "gitter"), Lines: 1, MinEntropy: 3, Placeholders: true,
			Remediation:    saasRotate("the Gitter developer page (revoke the token)"),
			TruePositives:  []string{`gitter_token: 7cc4d1tqbfh29xcjv5v6_59m1e3rbavcpmgcgtx3`},
			FalsePositives: []string{`gitter_token: chpdhv7jy2gmrg7xe218nbemyh6pcyy5hpvla8z5p`},
		},
		{
			ID: "twilio-api-key", Provider: "Twilio", Title: "Twilio API key SID", Severity: high,
			// API key SIDs are SK + 32 hex; the key's secret is shown once at creation.
			CaseKeywords: []string{"SK"},
			TokenStart:   true,
			Pattern:      saasPrefixed(`SK[0-9a-fA-F]{32}`),
			MinEntropy:   3,
			Check:        saasDigitAndLetter,
			Remediation:  "Delete the API key in the Twilio Console (Account > API keys & tokens), create a new one, and store key and secret in a secret manager.",
			TruePositives: []string{
				`TWILIO_API_KEY=SKe48d7926c453ac4c881efd68e509e292`,
				`twilio token - 'SK61df2b19c872595fa6cb5feac1afede7'`,
			},
			FalsePositives: []string{`SK_5967fe2f921bca8ef0b42cd7b77bb3fb`, `TASK86e8b438f35edc8f42aaf71bbdabfe31`, `SK7f1201181dcf0320df57abdc2a301a718`},
		},
		{
			ID: "twilio-auth-token", Provider: "Twilio", Title: "Twilio auth token", Severity: critical,
			Keywords: []string{"twilio"}, Pattern: saasNear(`[a-f0-9]{32}`, "twilio"), Lines: 1, MinEntropy: 3, Placeholders: true,
			Remediation:    "Rotate the auth token in the Twilio Console (secondary token, then promote), update every client, and move clients to API keys.",
			TruePositives:  []string{`TWILIO_AUTH_TOKEN=ad6d3363171f6570690c79556327c42c`},
			FalsePositives: []string{`TWILIO_AUTH_TOKEN=cf364ce3967f78298a3991e3527b4cf`, `TWILIO_AUTH_TOKEN=your_auth_token`},
		},
		{
			ID: "sendgrid-api-token", Provider: "SendGrid", Title: "SendGrid API key", Severity: high,
			Keywords:    []string{"sg."},
			Pattern:     saasPrefixed(`SG\.[a-zA-Z0-9=_\-.]{66}`),
			Check:       func(s string) bool { return strings.Count(s, ".") <= 2 },
			Remediation: saasRotate("SendGrid under Settings > API Keys"),
			TruePositives: []string{
				`SENDGRID_API_KEY=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`,
				`sendgrid.api_key = "SG.waz-5MS3NAEMbZxNi5AqrWL4JJHxsFh61C2R2fyomFLF1kkXnF8SNyeqLeZ_omtIBG"`,
			},
			FalsePositives: []string{
				`SG.ngeVfQFYQlKU0ufo8x5d1A..TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr`,
				`AG.ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr`,
			},
		},
		{
			ID: "mailgun-private-api-token", Provider: "Mailgun", Title: "Mailgun private API key", Severity: high,
			Keywords:       []string{"key-"},
			Pattern:        saasPrefixed(`key-[a-f0-9]{32}`),
			MinEntropy:     3,
			Remediation:    saasRotate("Mailgun under API Security"),
			TruePositives:  []string{`MAILGUN_API_KEY=key-2e29d27eed48ce9b9fc76b9853ac6294`},
			FalsePositives: []string{`cache-key-644f2cbf96b6372b151d368c76ede42b`, `key-6d1ea174bf8fbbdab5177133b4fc8e6`, `monkey-644afd9c2ad045d5839aa2a29047c18b`},
		},
		{
			ID: "mailgun-pub-key", Provider: "Mailgun", Title: "Mailgun public validation key", Severity: info,
			Keywords:       []string{"pubkey-"},
			Pattern:        saasPrefixed(`pubkey-[a-f0-9]{32}`),
			MinEntropy:     3,
			Remediation:    "Public validation keys are meant for browsers; rotate it under API Security if it was not meant to be published.",
			TruePositives:  []string{`mailgunToken = pubkey-1e6298416db0bb07901a9ac7980a8b65`},
			FalsePositives: []string{`pubkey-e443b751f080b9f58cc55ca6f67687`},
		},
		{
			ID: "mailgun-signing-key", Provider: "Mailgun", Title: "Mailgun webhook signing key or sending key", Severity: high,
			Keywords: []string{"mailgun"}, Pattern: saasNear(`[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}`, "mailgun"), Lines: 1,
			Remediation:    saasRotate("Mailgun under Sending > Webhooks (signing key) or Domain settings > Sending API keys"),
			TruePositives:  []string{`MAILGUN_SIGNING_KEY="52dd1e6d4b0f0aaaa58a829d3f293f2d-bef6cd6d-f1ac873f"`},
			FalsePositives: []string{`MAILGUN_SIGNING_KEY="bbbb0034baa0613ccec025a95ee66691-6fb3e334"`},
		},
		{
			ID: "mailgun-api-key", Provider: "Mailgun", Title: "Mailgun key named as a Mailgun value", Severity: high,
			Keywords: []string{"mailgun"}, Pattern: saasNear(`key-[a-z0-9]{32}|[a-zA-Z0-9]{72}`, "mailgun"), Lines: 1, MinEntropy: 3.5, Placeholders: true,
			Remediation:    saasRotate("Mailgun under API Security"),
			TruePositives:  []string{`mailgun 'key-7uopuv3asne81pom6qhk4j4iuptbrlv6'`, `MAILGUN_KEY=UdjKjLEtkAAXoGqSaTULFxaX9IRJbdBKPZrU3n39URxfg0NgUMGS21nA2PsoJywVs1fAbKBp`},
			FalsePositives: []string{`MAILGUN_KEY=IBPWEDyxBVyuBpYqCPTJftWzOG2DvTI8OGW3FYRfZAIUQKTwGBMQ07Lv65vzZjgS3xJCRYj`},
		},
		{
			ID: "mailchimp-api-key", Provider: "Mailchimp", Title: "Mailchimp API key", Severity: high,
			// 32 hex characters and the data centre ("-us6").
			Keywords:    []string{"-us"},
			Pattern:     saasPrefixed(`[0-9a-f]{32}-us[0-9]{1,2}`),
			MinEntropy:  3,
			Remediation: saasRotate("Mailchimp under Account > Extras > API keys"),
			TruePositives: []string{
				`MAILCHIMP_API_KEY=91df4bf9500f0ac939dc560c402d9175-us20`,
				`78aef0e346f5288ed1959c6344677120-us2`,
			},
			FalsePositives: []string{
				`AD9C0E1677105840B55139AD6FFA1023-us2`,
				`mailchimp = '478ccbe224458e7909cb3a84ccd81994-us'`,
				`eb3f4bc0762b7ff-us2`,
			},
		},
		{
			ID: "sendinblue-api-token", Provider: "Brevo (Sendinblue)", Title: "Brevo (Sendinblue) API or SMTP key", Severity: high,
			Keywords:       []string{"xkeysib-", "xsmtpsib-"},
			Pattern:        saasPrefixed(`x(?:keysib|smtpsib)-[a-f0-9]{64}-[a-zA-Z0-9]{16}`),
			Remediation:    saasRotate("Brevo under SMTP & API > API keys"),
			TruePositives:  []string{`BREVO_API_KEY=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`, `smtp_pass: xsmtpsib-9f3250c59f9d13aebcfc6a865e7df82760ba26278a7f770dfa9827d39533f079-qqmKyrTvTOdQJh7r`},
			FalsePositives: []string{`xkeysib-bd2be4f14fe957d70724c6e7cba97439fce106014c5d81b5822ffef7c1d537cd-hJJraojA1oFu3v4`, `xkeysib-47fec70deae95d8914108c758d4cae832dcb99a3e95b92513a9d1efb0b8ed6a7`},
		},
		{
			ID: "messagebird-api-token", Provider: "MessageBird (Bird)", Title: "MessageBird API access key", Severity: high,
			Keywords:       []string{"messagebird", "message-bird", "message_bird"},
			Pattern:        saasNear(`[a-zA-Z0-9_\-]{25}`, "messagebird", "message-bird", "message_bird"),
			Lines:          1,
			MinEntropy:     3,
			Placeholders:   true,
			Remediation:    saasRotate("the MessageBird dashboard under Developers > API access"),
			TruePositives:  []string{`MESSAGEBIRD_API_KEY=LlDmRKl51xKYD9XYK1EPoNU6b`, `messagebird token = 'z01rzw8YlNC-7r8pJtV9dHSQl'`},
			FalsePositives: []string{`MESSAGEBIRD_API_KEY=p695D5PqMrXiLEGMdsIrZKBrVN`},
		},
		{
			ID: "messagebird-client-id", Provider: "MessageBird (Bird)", Title: "MessageBird client id", Severity: low,
			Keywords:       []string{"messagebird", "message-bird", "message_bird"},
			Pattern:        saasNear(saasUUID, "messagebird", "message-bird", "message_bird"),
			Lines:          1,
			MinEntropy:     3,
			Remediation:    "A client id identifies the integration; check that its access key is not exposed next to it.",
			TruePositives:  []string{`MessageBirdClientId = "c46b70eb-1cbe-a9d8-c1b5-f239412140b1"`},
			FalsePositives: []string{`MessageBirdClientId = "ec36d5b4-c4e6-a5e4-0f6da7866fe8"`},
		},
		{
			ID: "sendbird-access-id", Provider: "Sendbird", Title: "Sendbird application id", Severity: low,
			Keywords: []string{"sendbird"}, Pattern: saasNear(saasUUID, "sendbird"), Lines: 1, Placeholders: true,
			Remediation:    "An application id identifies the Sendbird app; check that its API token is not exposed next to it.",
			TruePositives:  []string{`SENDBIRD_APP_ID=A581C790-164D-BA5E-C6AB-D40443D4F7DC`},
			FalsePositives: []string{`SENDBIRD_APP_ID=5678DDE4-BCE4-9926-24A4`},
		},
		{
			ID: "sendbird-access-token", Provider: "Sendbird", Title: "Sendbird API token", Severity: high,
			Keywords: []string{"sendbird"}, Pattern: saasNear(`[a-f0-9]{40}|[a-f0-9]{24}`, "sendbird"), Lines: 1, MinEntropy: 3,
			Remediation:    saasRotate("the Sendbird dashboard under Settings > Application > General > API tokens"),
			TruePositives:  []string{`SENDBIRD_API_TOKEN=9520c3b17e508f30f2cdc0a35f023f77106d11af`, `sendbird token - '4886f599aeba74262f3a4c29e09c368bd4a93050'`, `sendbirdorganizationapi token = 'ff834c2e28da1a24d55c32f9'`},
			FalsePositives: []string{`SENDBIRD_API_TOKEN=5505ed827a4a5bf74bbe7f15f4d174322c0985b`},
		},
		{
			ID: "intercom-api-key", Provider: "Intercom", Title: "Intercom access token", Severity: high,
			Keywords: []string{"intercom"}, Pattern: saasNear(`[a-zA-Z0-9=_\-]{60}`, "intercom"), Lines: 1, MinEntropy: 3.5, Placeholders: true,
			Remediation:    saasRotate("the Intercom Developer Hub (regenerate the app's access token)"),
			TruePositives:  []string{`INTERCOM_ACCESS_TOKEN=dG9rO9AeTDW-bd_jr6sRaSIgc82_czqOqiwX7C8yHlO1v_9JxruDn_PUmie=`, `intercom token = 'MAD-xzr5RQ2YwJ061WsUhNSU-K-IwNEVwyCWqojGS3-AfIqpnEHgFxwQhWJQ'`},
			FalsePositives: []string{`INTERCOM_ACCESS_TOKEN=4ArZ6dqW2_hZsWlGXxwQxb1aT5xcpiwZM7ZT796F6dLW9miVO9bImLJiDTq87`, "intercom keyword is not close to the real key in the data\n = 'U5dlQQfnVrsOk_dlFghBZ3_1FYOauwbRgyfdxFd-BnS5v6QsasWD4Gyx-FnV'"},
		},
	}
}

// discordBotToken checks the first part of a Discord bot token: unpadded
// base64url of the bot's numeric user id.
func discordBotToken(s string) bool {
	id, _, _ := strings.Cut(s, ".")
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) < 15 || len(raw) > 20 {
		return false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
