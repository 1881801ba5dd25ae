package aws

import (
	"context"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbctypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// collectClassicELB reads the region's classic load balancers: scheme,
// access logs, listeners (kept on the load balancer, as the IaC adapter
// does) and tags.
func collectClassicELB(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := elb.NewFromConfig(cfg, func(o *elb.Options) {
		if u := a.endpoint("elasticloadbalancing"); u != nil {
			o.BaseEndpoint = u
		}
	})
	var lbs []*cloud.LoadBalancer
	var names []string
	pages := elb.NewDescribeLoadBalancersPaginator(cl, &elb.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe classic load balancers: %w", err)
		}
		for _, l := range page.LoadBalancerDescriptions {
			name := sdk.ToString(l.LoadBalancerName)
			arn := fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:loadbalancer/%s", partition(cfg.Region), cfg.Region, a.account, name)
			lb := &cloud.LoadBalancer{
				Meta:               meta("aws_elb", arn, nil),
				Type:               known("classic", arn),
				Internal:           known(strings.EqualFold(sdk.ToString(l.Scheme), "internal"), arn),
				DropInvalidHeaders: cloud.Default(false),
				DeletionProtection: cloud.Default(false),
			}
			attrs, err := cl.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerName: l.LoadBalancerName})
			if err != nil {
				return fmt.Errorf("classic load balancer %s attributes: %w", name, err)
			}
			logs := attrs.LoadBalancerAttributes != nil && attrs.LoadBalancerAttributes.AccessLog != nil && attrs.LoadBalancerAttributes.AccessLog.Enabled
			lb.AccessLogs = known(logs, arn)
			for _, d := range l.ListenerDescriptions {
				if d.Listener == nil {
					continue
				}
				lb.Listeners = append(lb.Listeners, cloud.Listener{
					Meta:             cloud.Meta{Type: "listener", Address: fmt.Sprintf("%s#%d", arn, d.Listener.LoadBalancerPort), Src: arnSrc(arn)},
					LoadBalancerRef:  known(arn, arn),
					Protocol:         known(strings.ToUpper(sdk.ToString(d.Listener.Protocol)), arn),
					SSLPolicy:        cloud.Default(""),
					RedirectsToHTTPS: known(false, arn),
				})
			}
			lbs = append(lbs, lb)
			names = append(names, name)
		}
	}
	// Tags come 20 load balancers at a time.
	for i := 0; i < len(lbs); i += 20 {
		end := min(i+20, len(lbs))
		out, err := cl.DescribeTags(ctx, &elb.DescribeTagsInput{LoadBalancerNames: names[i:end]})
		if err != nil {
			return fmt.Errorf("classic load balancer tags: %w", err)
		}
		for _, td := range out.TagDescriptions {
			for j := i; j < end; j++ {
				if names[j] == sdk.ToString(td.LoadBalancerName) {
					lbs[j].Tags = tagMap(td.Tags, func(t elbctypes.Tag) (*string, *string) { return t.Key, t.Value })
				}
			}
		}
	}
	a.merge(&cloud.State{LoadBalancers: lbs}, nil)
	return nil
}
