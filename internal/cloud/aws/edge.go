package aws

import (
	"context"
	"fmt"
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// collectCloudFront reads every distribution (CloudFront is global) with
// its viewer protocol policies, TLS minimum, WAF and logging.
func collectCloudFront(ctx context.Context, a *accountCollector) error {
	cfg := a.cfg.Copy()
	cfg.Region = "us-east-1"
	cl := cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) {
		if u := a.endpoint("cloudfront"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := cloudfront.NewListDistributionsPaginator(cl, &cloudfront.ListDistributionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list distributions: %w", err)
		}
		if page.DistributionList == nil {
			continue
		}
		for _, d := range page.DistributionList.Items {
			arn := sdk.ToString(d.ARN)
			// The configuration has every field the list summary has, and logging.
			conf, err := cl.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Id})
			if err != nil {
				return fmt.Errorf("distribution %s config: %w", arn, err)
			}
			c := conf.DistributionConfig
			if c == nil {
				return fmt.Errorf("distribution %s config: empty answer", arn)
			}
			dist := &cloud.CloudFrontDistribution{
				WAF:     known(sdk.ToString(c.WebACLId) != "", arn),
				Logging: known(c.Logging != nil && sdk.ToBool(c.Logging.Enabled), arn),
			}
			if b := c.DefaultCacheBehavior; b != nil {
				dist.ViewerProtocolPolicies = append(dist.ViewerProtocolPolicies, known(string(b.ViewerProtocolPolicy), arn))
			}
			if cb := c.CacheBehaviors; cb != nil {
				for _, b := range cb.Items {
					dist.ViewerProtocolPolicies = append(dist.ViewerProtocolPolicies, known(string(b.ViewerProtocolPolicy), arn))
				}
			}
			if v := c.ViewerCertificate; v != nil {
				dist.MinimumProtocolVersion = known(string(v.MinimumProtocolVersion), arn)
				dist.DefaultCertificate = known(sdk.ToBool(v.CloudFrontDefaultCertificate), arn)
			}
			tags, err := cl.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: d.ARN})
			if err != nil {
				return fmt.Errorf("distribution %s tags: %w", arn, err)
			}
			var items []cftypes.Tag
			if tags.Tags != nil {
				items = tags.Tags.Items
			}
			dist.Meta = meta("aws_cloudfront_distribution", arn, tagMap(items, func(t cftypes.Tag) (*string, *string) { return t.Key, t.Value }))
			st.CloudFront = append(st.CloudFront, dist)
		}
	}
	a.merge(st, nil)
	return nil
}

// collectAPIGateway reads the region's REST APIs (stages, methods, custom
// domains) and HTTP/WebSocket API stages.
func collectAPIGateway(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := apigateway.NewFromConfig(cfg, func(o *apigateway.Options) {
		if u := a.endpoint("apigateway"); u != nil {
			o.BaseEndpoint = u
		}
	})
	region := cfg.Region
	base := fmt.Sprintf("arn:%s:apigateway:%s::", partition(region), region)
	st := &cloud.State{}
	apis := apigateway.NewGetRestApisPaginator(cl, &apigateway.GetRestApisInput{})
	for apis.HasMorePages() {
		page, err := apis.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("REST APIs: %w", err)
		}
		for _, api := range page.Items {
			id := sdk.ToString(api.Id)
			stages, err := cl.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: api.Id})
			if err != nil {
				return fmt.Errorf("REST API %s stages: %w", id, err)
			}
			for _, s := range stages.Item {
				arn := base + "/restapis/" + id + "/stages/" + sdk.ToString(s.StageName)
				stage := &cloud.APIGatewayStage{
					Meta:        meta("aws_api_gateway_stage", arn, mapTags(s.Tags)),
					AccessLogs:  known(s.AccessLogSettings != nil && sdk.ToString(s.AccessLogSettings.DestinationArn) != "", arn),
					XRayTracing: known(s.TracingEnabled, arn),
				}
				if s.CacheClusterEnabled {
					stage.CacheEncrypted = known(s.MethodSettings["*/*"].CacheDataEncrypted, arn)
				}
				st.APIGatewayStages = append(st.APIGatewayStages, stage)
			}
			res := apigateway.NewGetResourcesPaginator(cl, &apigateway.GetResourcesInput{RestApiId: api.Id, Embed: []string{"methods"}})
			for res.HasMorePages() {
				rp, err := res.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("REST API %s resources: %w", id, err)
				}
				for _, r := range rp.Items {
					verbs := make([]string, 0, len(r.ResourceMethods))
					for v := range r.ResourceMethods {
						verbs = append(verbs, v)
					}
					sort.Strings(verbs)
					for _, verb := range verbs {
						m := r.ResourceMethods[verb]
						if m.AuthorizationType == nil {
							// Not embedded: ask for the method itself.
							full, err := cl.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api.Id, ResourceId: r.Id, HttpMethod: sdk.String(verb)})
							if err != nil {
								return fmt.Errorf("REST API %s method %s %s: %w", id, verb, sdk.ToString(r.Path), err)
							}
							m.AuthorizationType, m.ApiKeyRequired = full.AuthorizationType, full.ApiKeyRequired
						}
						arn := base + "/restapis/" + id + "/resources/" + sdk.ToString(r.Id) + "/methods/" + verb
						method := &cloud.APIGatewayMethod{
							Meta:              meta("aws_api_gateway_method", arn, nil),
							HTTPMethod:        known(verb, arn),
							AuthorizationType: known(sdk.ToString(m.AuthorizationType), arn),
							APIKeyRequired:    known(sdk.ToBool(m.ApiKeyRequired), arn),
						}
						method.TagsKnown = false
						st.APIGatewayMethods = append(st.APIGatewayMethods, method)
					}
				}
			}
		}
	}
	doms := apigateway.NewGetDomainNamesPaginator(cl, &apigateway.GetDomainNamesInput{})
	for doms.HasMorePages() {
		page, err := doms.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("domain names: %w", err)
		}
		for _, d := range page.Items {
			arn := base + "/domainnames/" + sdk.ToString(d.DomainName)
			st.APIGatewayDomains = append(st.APIGatewayDomains, &cloud.APIGatewayDomain{Meta: meta("aws_api_gateway_domain_name", arn, mapTags(d.Tags)), SecurityPolicy: known(string(d.SecurityPolicy), arn)})
		}
	}

	v2 := apigatewayv2.NewFromConfig(cfg, func(o *apigatewayv2.Options) {
		if u := a.endpoint("apigatewayv2"); u != nil {
			o.BaseEndpoint = u
		}
	})
	var next *string
	for {
		out, err := v2.GetApis(ctx, &apigatewayv2.GetApisInput{NextToken: next})
		if err != nil {
			return fmt.Errorf("HTTP APIs: %w", err)
		}
		for _, api := range out.Items {
			id := sdk.ToString(api.ApiId)
			stages, err := v2.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: api.ApiId})
			if err != nil {
				return fmt.Errorf("HTTP API %s stages: %w", id, err)
			}
			for _, s := range stages.Items {
				arn := base + "/apis/" + id + "/stages/" + sdk.ToString(s.StageName)
				st.APIGatewayStages = append(st.APIGatewayStages, &cloud.APIGatewayStage{
					Meta:       meta("aws_apigatewayv2_stage", arn, mapTags(s.Tags)),
					AccessLogs: known(s.AccessLogSettings != nil && sdk.ToString(s.AccessLogSettings.DestinationArn) != "", arn),
				})
			}
		}
		if next = out.NextToken; next == nil || *next == "" {
			break
		}
	}
	a.merge(st, nil)
	return nil
}
