package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// collectLambda reads the region's functions with their resource policy
// (one permission per statement) and function URLs. Environment values
// stay in memory for the clear-text secret rule and are never reported.
func collectLambda(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if u := a.endpoint("lambda"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := lambda.NewListFunctionsPaginator(cl, &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			arn := sdk.ToString(f.FunctionArn)
			tags, err := cl.ListTags(ctx, &lambda.ListTagsInput{Resource: f.FunctionArn})
			if err != nil {
				return fmt.Errorf("function %s tags: %w", arn, err)
			}
			fn := &cloud.LambdaFunction{
				Meta:       meta("aws_lambda_function", arn, mapTags(tags.Tags)),
				Runtime:    known(string(f.Runtime), arn),
				Tracing:    known("PassThrough", arn),
				InVPC:      known(f.VpcConfig != nil && sdk.ToString(f.VpcConfig.VpcId) != "", arn),
				EnvKMSKey:  known(sdk.ToString(f.KMSKeyArn), arn),
				DeadLetter: known(f.DeadLetterConfig != nil && sdk.ToString(f.DeadLetterConfig.TargetArn) != "", arn),
			}
			if f.TracingConfig != nil && f.TracingConfig.Mode != "" {
				fn.Tracing = known(string(f.TracingConfig.Mode), arn)
			}
			if f.Environment != nil && len(f.Environment.Variables) > 0 {
				fn.HasEnv = true
				fn.Environment = map[string]cloud.String{}
				for k, v := range f.Environment.Variables {
					fn.Environment[k] = known(v, arn)
				}
			}
			st.LambdaFunctions = append(st.LambdaFunctions, fn)

			pol, err := cl.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: f.FunctionName})
			var nf *lambdatypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf): // no resource policy
			case err != nil:
				return fmt.Errorf("function %s policy: %w", arn, err)
			default:
				st.LambdaPermissions = append(st.LambdaPermissions, lambdaPermissions(parsePolicy(sdk.ToString(pol.Policy), arn), arn)...)
			}

			urls, err := functionURLs(ctx, cl, f.FunctionName)
			if err != nil {
				return fmt.Errorf("function %s URLs: %w", arn, err)
			}
			for _, u := range urls {
				uarn := sdk.ToString(u.FunctionArn)
				if uarn == "" {
					uarn = arn
				}
				url := &cloud.LambdaURL{Meta: meta("aws_lambda_function_url", uarn, nil), AuthType: known(string(u.AuthType), uarn)}
				url.TagsKnown = false // a URL carries no tags of its own
				st.LambdaURLs = append(st.LambdaURLs, url)
			}
		}
	}
	a.merge(st, nil)
	return nil
}

// functionURLs lists a function's URLs (of the function and its aliases).
// Where ListFunctionUrlConfigs is not served (some emulators), the URL of
// the unqualified function is read instead.
func functionURLs(ctx context.Context, cl *lambda.Client, fn *string) ([]lambdatypes.FunctionUrlConfig, error) {
	var out []lambdatypes.FunctionUrlConfig
	pages := lambda.NewListFunctionUrlConfigsPaginator(cl, &lambda.ListFunctionUrlConfigsInput{FunctionName: fn})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if !notServed(err) {
				return nil, err
			}
			one, gerr := cl.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: fn})
			var nf *lambdatypes.ResourceNotFoundException
			switch {
			case errors.As(gerr, &nf):
				return nil, nil
			case gerr != nil:
				return nil, gerr
			}
			return []lambdatypes.FunctionUrlConfig{{FunctionArn: one.FunctionArn, AuthType: one.AuthType, FunctionUrl: one.FunctionUrl}}, nil
		}
		out = append(out, page.FunctionUrlConfigs...)
	}
	return out, nil
}

// lambdaPermissions turns each Allow statement of a function's resource
// policy into a permission with its principal and source ARN condition.
func lambdaPermissions(doc cloud.PolicyDocument, arn string) []*cloud.LambdaPermission {
	var out []*cloud.LambdaPermission
	for i, s := range doc.Statements {
		if !s.Allows() {
			continue
		}
		principal := ""
		switch {
		case len(s.Principals["*"]) > 0 || slices.Contains(s.Principals["AWS"], "*"):
			principal = "*"
		case len(s.Principals["Service"]) > 0:
			principal = s.Principals["Service"][0]
		case len(s.Principals["AWS"]) > 0:
			principal = s.Principals["AWS"][0]
		}
		source := ""
		for k, v := range s.Conditions {
			if strings.HasSuffix(strings.ToLower(k), ":aws:sourcearn") && len(v) > 0 {
				source = v[0]
			}
		}
		sid := s.Sid
		if sid == "" {
			sid = fmt.Sprint(i)
		}
		// The statement's address (function ARN#sid) is its Source too, so
		// two bad statements on one function are two findings.
		addr := arn + "#" + sid
		p := &cloud.LambdaPermission{Meta: meta("aws_lambda_permission", addr, nil), Principal: known(principal, addr), SourceARN: known(source, addr)}
		p.TagsKnown = false
		out = append(out, p)
	}
	return out
}

// collectEKS reads the region's clusters: endpoint exposure, secrets
// encryption and control plane logs.
func collectEKS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := eks.NewFromConfig(cfg, func(o *eks.Options) {
		if u := a.endpoint("eks"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := eks.NewListClustersPaginator(cl, &eks.ListClustersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list clusters: %w", err)
		}
		for _, name := range page.Clusters {
			d, err := cl.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String(name)})
			if err != nil {
				return fmt.Errorf("cluster %s: %w", name, err)
			}
			c := d.Cluster
			arn := sdk.ToString(c.Arn)
			ec := &cloud.EKSCluster{Meta: meta("aws_eks_cluster", arn, mapTags(c.Tags))}
			if v := c.ResourcesVpcConfig; v != nil {
				ec.PublicEndpoint = known(v.EndpointPublicAccess, arn)
				ec.PrivateEndpoint = known(v.EndpointPrivateAccess, arn)
				ec.PublicCIDRs = cloud.StringList{Vals: v.PublicAccessCidrs, Set: true, Src: arnSrc(arn)}
			}
			// Envelope encryption of secrets with a customer KMS key (EKS
			// encrypts all API data with that key once one is configured).
			secrets := false
			for _, e := range c.EncryptionConfig {
				secrets = secrets || e.Provider != nil && sdk.ToString(e.Provider.KeyArn) != ""
			}
			ec.SecretEncryption = known(secrets, arn)
			logs := cloud.StringList{Set: true, Src: arnSrc(arn), Vals: []string{}}
			if c.Logging != nil {
				for _, l := range c.Logging.ClusterLogging {
					if sdk.ToBool(l.Enabled) {
						for _, t := range l.Types {
							logs.Vals = append(logs.Vals, string(t))
						}
					}
				}
			}
			ec.LogTypes = logs
			st.EKSClusters = append(st.EKSClusters, ec)
		}
	}
	a.merge(st, nil)
	return nil
}

// collectECR reads the region's repositories with scanning, tag
// immutability, encryption and repository policy.
func collectECR(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if u := a.endpoint("ecr"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := ecr.NewDescribeRepositoriesPaginator(cl, &ecr.DescribeRepositoriesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe repositories: %w", err)
		}
		for _, r := range page.Repositories {
			arn := sdk.ToString(r.RepositoryArn)
			tags, err := cl.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: r.RepositoryArn})
			if err != nil {
				return fmt.Errorf("repository %s tags: %w", arn, err)
			}
			repo := &cloud.ECRRepository{
				Meta:           meta("aws_ecr_repository", arn, tagMap(tags.Tags, func(t ecrtypes.Tag) (*string, *string) { return t.Key, t.Value })),
				ScanOnPush:     known(r.ImageScanningConfiguration != nil && r.ImageScanningConfiguration.ScanOnPush, arn),
				ImmutableTags:  known(strings.HasPrefix(string(r.ImageTagMutability), "IMMUTABLE"), arn),
				EncryptionType: known("AES256", arn),
			}
			if e := r.EncryptionConfiguration; e != nil && e.EncryptionType != "" {
				repo.EncryptionType = known(string(e.EncryptionType), arn)
			}
			pol, err := cl.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: r.RepositoryName})
			var nf *ecrtypes.RepositoryPolicyNotFoundException
			switch {
			case errors.As(err, &nf):
				repo.Policy = parsePolicy("", arn)
			case err != nil:
				return fmt.Errorf("repository %s policy: %w", arn, err)
			default:
				repo.Policy = parsePolicy(sdk.ToString(pol.PolicyText), arn)
			}
			st.ECRRepositories = append(st.ECRRepositories, repo)
		}
	}
	a.merge(st, nil)
	return nil
}

// collectELB reads the region's application, network and gateway load
// balancers with their attributes and listeners.
func collectELB(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := elasticloadbalancingv2.NewFromConfig(cfg, func(o *elasticloadbalancingv2.Options) {
		if u := a.endpoint("elasticloadbalancingv2"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	var lbs []*cloud.LoadBalancer
	pages := elasticloadbalancingv2.NewDescribeLoadBalancersPaginator(cl, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe load balancers: %w", err)
		}
		for _, l := range page.LoadBalancers {
			arn := sdk.ToString(l.LoadBalancerArn)
			lb := &cloud.LoadBalancer{
				Meta:     meta("aws_lb", arn, nil),
				Type:     known(string(l.Type), arn),
				Internal: known(l.Scheme == elbtypes.LoadBalancerSchemeEnumInternal, arn),
			}
			attrs, err := cl.DescribeLoadBalancerAttributes(ctx, &elasticloadbalancingv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: l.LoadBalancerArn})
			if err != nil {
				return fmt.Errorf("load balancer %s attributes: %w", arn, err)
			}
			got := map[string]string{}
			for _, at := range attrs.Attributes {
				got[sdk.ToString(at.Key)] = sdk.ToString(at.Value)
			}
			lb.AccessLogs = known(got["access_logs.s3.enabled"] == "true", arn)
			lb.DeletionProtection = known(got["deletion_protection.enabled"] == "true", arn)
			if l.Type == elbtypes.LoadBalancerTypeEnumApplication {
				lb.DropInvalidHeaders = known(got["routing.http.drop_invalid_header_fields.enabled"] == "true", arn)
			}
			ls := elasticloadbalancingv2.NewDescribeListenersPaginator(cl, &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: l.LoadBalancerArn})
			for ls.HasMorePages() {
				lp, err := ls.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("load balancer %s listeners: %w", arn, err)
				}
				for _, li := range lp.Listeners {
					larn := sdk.ToString(li.ListenerArn)
					redirect := false
					for _, act := range li.DefaultActions {
						if act.Type == elbtypes.ActionTypeEnumRedirect && act.RedirectConfig != nil && strings.EqualFold(sdk.ToString(act.RedirectConfig.Protocol), "HTTPS") {
							redirect = true
						}
					}
					listener := &cloud.Listener{
						Meta:             meta("aws_lb_listener", larn, nil),
						LoadBalancerRef:  known(arn, larn),
						Protocol:         known(string(li.Protocol), larn),
						SSLPolicy:        known(sdk.ToString(li.SslPolicy), larn),
						RedirectsToHTTPS: known(redirect, larn),
					}
					listener.TagsKnown = false
					lb.Listeners = append(lb.Listeners, *listener)
					st.Listeners = append(st.Listeners, listener)
				}
			}
			lbs = append(lbs, lb)
		}
	}
	// Tags come 20 load balancers at a time.
	for i := 0; i < len(lbs); i += 20 {
		batch := lbs[i:min(i+20, len(lbs))]
		var arns []string
		for _, lb := range batch {
			arns = append(arns, lb.Address)
		}
		out, err := cl.DescribeTags(ctx, &elasticloadbalancingv2.DescribeTagsInput{ResourceArns: arns})
		if err != nil {
			return fmt.Errorf("load balancer tags: %w", err)
		}
		for _, td := range out.TagDescriptions {
			for _, lb := range batch {
				if lb.Address == sdk.ToString(td.ResourceArn) {
					lb.Tags = tagMap(td.Tags, func(t elbtypes.Tag) (*string, *string) { return t.Key, t.Value })
				}
			}
		}
	}
	st.LoadBalancers = lbs
	a.merge(st, nil)
	return nil
}

// collectEBS reads the region's volumes, the account's own snapshots (and
// which of them anyone may restore) and the account's own images.
func collectEBS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := a.ec2(cfg)
	region := cfg.Region
	arnOf := func(kind, id string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", partition(region), region, a.account, kind, id)
	}
	st := &cloud.State{}
	vols := ec2.NewDescribeVolumesPaginator(cl, &ec2.DescribeVolumesInput{})
	for vols.HasMorePages() {
		page, err := vols.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("volumes: %w", err)
		}
		for _, v := range page.Volumes {
			arn := arnOf("volume", sdk.ToString(v.VolumeId))
			st.EBSVolumes = append(st.EBSVolumes, &cloud.EBSVolume{Meta: meta("aws_ebs_volume", arn, ec2Tags(v.Tags)), Encrypted: known(sdk.ToBool(v.Encrypted), arn), KMSKeyID: known(sdk.ToString(v.KmsKeyId), arn)})
		}
	}
	var snaps []ec2types.Snapshot
	sp := ec2.NewDescribeSnapshotsPaginator(cl, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("snapshots: %w", err)
		}
		snaps = append(snaps, page.Snapshots...)
	}
	for _, s := range snaps {
		if o := sdk.ToString(s.OwnerId); o != "" && o != a.account {
			continue // some emulators ignore the "self" owner filter
		}
		id := sdk.ToString(s.SnapshotId)
		arn := fmt.Sprintf("arn:%s:ec2:%s::snapshot/%s", partition(region), region, id)
		attr, err := cl.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: s.SnapshotId, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission})
		if err != nil {
			return fmt.Errorf("snapshot %s permissions: %w", id, err)
		}
		public := false
		for _, p := range attr.CreateVolumePermissions {
			public = public || p.Group == ec2types.PermissionGroupAll
		}
		st.EBSSnapshots = append(st.EBSSnapshots, &cloud.EBSSnapshot{Meta: meta("aws_ebs_snapshot", arn, ec2Tags(s.Tags)), Encrypted: known(sdk.ToBool(s.Encrypted), arn), Public: known(public, arn)})
	}
	imgs, err := cl.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		return fmt.Errorf("own images: %w", err)
	}
	for _, im := range imgs.Images {
		arn := fmt.Sprintf("arn:%s:ec2:%s::image/%s", partition(region), region, sdk.ToString(im.ImageId))
		encrypted := len(im.BlockDeviceMappings) > 0
		for _, b := range im.BlockDeviceMappings {
			if b.Ebs != nil && !sdk.ToBool(b.Ebs.Encrypted) {
				encrypted = false
			}
		}
		st.AMIs = append(st.AMIs, &cloud.AMI{Meta: meta("aws_ami", arn, ec2Tags(im.Tags)), Public: known(sdk.ToBool(im.Public), arn), Encrypted: known(encrypted, arn)})
	}
	a.merge(st, nil)
	return nil
}
