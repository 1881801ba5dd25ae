package aws

import (
	"context"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

func (a *accountCollector) ec2(cfg sdk.Config) *ec2.Client {
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) {
		if u := a.c.opts.ServiceEndpoints["ec2"]; u != "" {
			o.BaseEndpoint = sdk.String(u)
		}
	})
}

func ec2Tags(tags []ec2types.Tag) cloud.Tags {
	out := cloud.Tags{}
	for _, t := range tags {
		out[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return out
}

// collectEC2 reads one region's network and compute: security groups,
// VPCs, subnets, route tables, endpoints, flow logs, instances (with their
// image owners) and the EBS encryption-by-default switch.
func collectEC2(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := a.ec2(cfg)
	region := cfg.Region
	arnOf := func(kind, id string) string {
		return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", partition(region), region, a.account, kind, id)
	}
	st := &cloud.State{}

	ebs, err := cl.GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{})
	if err != nil {
		return fmt.Errorf("EBS encryption by default: %w", err)
	}
	ebsARN := fmt.Sprintf("arn:%s:ec2:%s:%s:ebs-encryption-by-default", partition(region), region, a.account)
	acct := &cloud.Account{Meta: meta("aws_ebs_encryption_by_default", ebsARN, nil), ID: known(a.account, ebsARN), EBSEncryptionByDefault: known(sdk.ToBool(ebs.EbsEncryptionByDefault), ebsARN)}
	acct.TagsKnown = false
	st.Accounts = append(st.Accounts, acct)

	sgs := ec2.NewDescribeSecurityGroupsPaginator(cl, &ec2.DescribeSecurityGroupsInput{})
	for sgs.HasMorePages() {
		page, err := sgs.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("security groups: %w", err)
		}
		for _, g := range page.SecurityGroups {
			arn := arnOf("security-group", sdk.ToString(g.GroupId))
			sg := &cloud.SecurityGroup{
				Meta:        meta("aws_security_group", arn, ec2Tags(g.Tags)),
				Name:        known(sdk.ToString(g.GroupName), arn),
				Description: known(sdk.ToString(g.Description), arn),
				VPCID:       known(sdk.ToString(g.VpcId), arn),
				IsDefault:   sdk.ToString(g.GroupName) == "default",
			}
			sg.Rules = append(sg.Rules, sgRules(g.IpPermissions, false, arn)...)
			sg.Rules = append(sg.Rules, sgRules(g.IpPermissionsEgress, true, arn)...)
			st.SecurityGroups = append(st.SecurityGroups, sg)
		}
	}

	flowTargets := map[string]bool{}
	fls := ec2.NewDescribeFlowLogsPaginator(cl, &ec2.DescribeFlowLogsInput{})
	for fls.HasMorePages() {
		page, err := fls.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("flow logs: %w", err)
		}
		for _, f := range page.FlowLogs {
			flowTargets[sdk.ToString(f.ResourceId)] = true
			arn := arnOf("vpc-flow-log", sdk.ToString(f.FlowLogId))
			st.FlowLogs = append(st.FlowLogs, &cloud.FlowLog{Meta: meta("aws_flow_log", arn, ec2Tags(f.Tags)), ResourceID: known(sdk.ToString(f.ResourceId), arn)})
		}
	}

	vpcs := ec2.NewDescribeVpcsPaginator(cl, &ec2.DescribeVpcsInput{})
	for vpcs.HasMorePages() {
		page, err := vpcs.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("VPCs: %w", err)
		}
		for _, v := range page.Vpcs {
			id := sdk.ToString(v.VpcId)
			arn := arnOf("vpc", id)
			st.VPCs = append(st.VPCs, &cloud.VPC{Meta: meta("aws_vpc", arn, ec2Tags(v.Tags)), CIDR: known(sdk.ToString(v.CidrBlock), arn), IsDefault: sdk.ToBool(v.IsDefault), FlowLogs: known(flowTargets[id], arn)})
		}
	}

	// Route tables decide which subnets are public.
	mainTable := map[string]bool{}   // vpc id -> main table routes to an internet gateway
	subnetTable := map[string]bool{} // subnet id -> explicit table routes to an internet gateway
	explicit := map[string]bool{}
	rts := ec2.NewDescribeRouteTablesPaginator(cl, &ec2.DescribeRouteTablesInput{})
	for rts.HasMorePages() {
		page, err := rts.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("route tables: %w", err)
		}
		for _, t := range page.RouteTables {
			arn := arnOf("route-table", sdk.ToString(t.RouteTableId))
			rt := &cloud.RouteTable{Meta: meta("aws_route_table", arn, ec2Tags(t.Tags))}
			toIGW := false
			for _, r := range t.Routes {
				dest := sdk.ToString(r.DestinationCidrBlock)
				if dest == "" {
					dest = sdk.ToString(r.DestinationIpv6CidrBlock)
				}
				gw := sdk.ToString(r.GatewayId)
				rt.Routes = append(rt.Routes, cloud.Route{Src: arnSrc(arn), Destination: known(dest, arn), GatewayID: known(gw, arn), VPCPeeringConnectionID: known(sdk.ToString(r.VpcPeeringConnectionId), arn)})
				if (dest == "0.0.0.0/0" || dest == "::/0") && strings.HasPrefix(gw, "igw-") {
					toIGW = true
				}
			}
			for _, as := range t.Associations {
				if sdk.ToBool(as.Main) {
					mainTable[sdk.ToString(t.VpcId)] = toIGW
				}
				if s := sdk.ToString(as.SubnetId); s != "" {
					subnetTable[s] = toIGW
					explicit[s] = true
				}
			}
			st.RouteTables = append(st.RouteTables, rt)
		}
	}

	public := map[string]bool{}
	subs := ec2.NewDescribeSubnetsPaginator(cl, &ec2.DescribeSubnetsInput{})
	for subs.HasMorePages() {
		page, err := subs.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("subnets: %w", err)
		}
		for _, s := range page.Subnets {
			id := sdk.ToString(s.SubnetId)
			arn := sdk.ToString(s.SubnetArn)
			if arn == "" {
				arn = arnOf("subnet", id)
			}
			if explicit[id] {
				public[id] = subnetTable[id]
			} else {
				public[id] = mainTable[sdk.ToString(s.VpcId)]
			}
			st.Subnets = append(st.Subnets, &cloud.Subnet{Meta: meta("aws_subnet", arn, ec2Tags(s.Tags)), VPCID: known(sdk.ToString(s.VpcId), arn), MapPublicIPOnLaunch: known(sdk.ToBool(s.MapPublicIpOnLaunch), arn)})
		}
	}

	eps := ec2.NewDescribeVpcEndpointsPaginator(cl, &ec2.DescribeVpcEndpointsInput{})
	for eps.HasMorePages() {
		page, err := eps.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("VPC endpoints: %w", err)
		}
		for _, e := range page.VpcEndpoints {
			arn := arnOf("vpc-endpoint", sdk.ToString(e.VpcEndpointId))
			ep := &cloud.VPCEndpoint{Meta: meta("aws_vpc_endpoint", arn, ec2Tags(e.Tags)), ServiceName: known(sdk.ToString(e.ServiceName), arn)}
			if d := sdk.ToString(e.PolicyDocument); d != "" {
				ep.Policy = parsePolicy(d, arn)
			}
			st.VPCEndpoints = append(st.VPCEndpoints, ep)
		}
	}

	var instances []Instance
	images := map[string]bool{}
	var byImage []*cloud.EC2Instance
	ins := ec2.NewDescribeInstancesPaginator(cl, &ec2.DescribeInstancesInput{})
	for ins.HasMorePages() {
		page, err := ins.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				if i.State != nil && i.State.Name == ec2types.InstanceStateNameTerminated {
					continue
				}
				id := sdk.ToString(i.InstanceId)
				arn := arnOf("instance", id)
				tags := ec2Tags(i.Tags)
				inst := &cloud.EC2Instance{
					Meta:         meta("aws_instance", arn, tags),
					AMI:          known(sdk.ToString(i.ImageId), arn),
					InstanceType: known(string(i.InstanceType), arn),
					PublicIP:     known(sdk.ToString(i.PublicIpAddress) != "", arn),
					EBSOptimized: known(sdk.ToBool(i.EbsOptimized), arn),
				}
				if m := i.MetadataOptions; m != nil {
					inst.MetadataTokens = known(string(m.HttpTokens), arn)
					inst.MetadataEndpoint = known(string(m.HttpEndpoint), arn)
				}
				if i.Monitoring != nil {
					inst.Monitoring = known(i.Monitoring.State == ec2types.MonitoringStateEnabled, arn)
				}
				if p := i.IamInstanceProfile; p != nil {
					inst.IAMProfile = known(sdk.ToString(p.Arn), arn)
				} else {
					inst.IAMProfile = known("", arn)
				}
				for _, g := range i.SecurityGroups {
					inst.SecurityGroupRefs = append(inst.SecurityGroupRefs, sdk.ToString(g.GroupId))
				}
				images[sdk.ToString(i.ImageId)] = true
				byImage = append(byImage, inst)
				st.EC2Instances = append(st.EC2Instances, inst)
				state := ""
				if i.State != nil {
					state = string(i.State.Name)
				}
				sub := sdk.ToString(i.SubnetId)
				instances = append(instances, Instance{ID: id, ARN: arn, Region: region, State: state, SubnetID: sub, PublicIP: sdk.ToString(i.PublicIpAddress), PublicSubnet: public[sub], Tags: tags})
			}
		}
	}
	if len(images) > 0 {
		var ids []string
		for id := range images {
			if id != "" {
				ids = append(ids, id)
			}
		}
		owners := map[string]string{}
		out, err := cl.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: ids})
		if err != nil {
			return fmt.Errorf("images: %w", err)
		}
		for _, im := range out.Images {
			owner := sdk.ToString(im.ImageOwnerAlias)
			if owner == "" {
				owner = sdk.ToString(im.OwnerId)
			}
			if owner == a.account {
				owner = "self"
			}
			owners[sdk.ToString(im.ImageId)] = owner
		}
		for _, inst := range byImage {
			// An image that no longer exists has no known owner.
			if o, ok := owners[inst.AMI.Val]; ok {
				inst.AMIOwners = cloud.StringList{Vals: []string{o}, Set: true, Src: inst.Src}
			}
		}
	}

	a.merge(st, func(ev *Evidence) { ev.Instances = append(ev.Instances, instances...) })
	return nil
}

// sgRules turns EC2 permissions into model rules, one per address range so
// each keeps its own description.
func sgRules(perms []ec2types.IpPermission, egress bool, arn string) []cloud.SGRule {
	var out []cloud.SGRule
	for _, p := range perms {
		base := cloud.SGRule{
			Src:      arnSrc(arn),
			Egress:   egress,
			Protocol: known(sdk.ToString(p.IpProtocol), arn),
		}
		if p.FromPort != nil {
			base.FromPort = known(int64(*p.FromPort), arn)
		}
		if p.ToPort != nil {
			base.ToPort = known(int64(*p.ToPort), arn)
		}
		for _, r := range p.IpRanges {
			rule := base
			rule.CIDRs = cloud.StringList{Vals: []string{sdk.ToString(r.CidrIp)}, Set: true, Src: arnSrc(arn)}
			rule.Description = known(sdk.ToString(r.Description), arn)
			out = append(out, rule)
		}
		for _, r := range p.Ipv6Ranges {
			rule := base
			rule.IPv6CIDRs = cloud.StringList{Vals: []string{sdk.ToString(r.CidrIpv6)}, Set: true, Src: arnSrc(arn)}
			rule.Description = known(sdk.ToString(r.Description), arn)
			out = append(out, rule)
		}
		for _, g := range p.UserIdGroupPairs {
			rule := base
			rule.Description = known(sdk.ToString(g.Description), arn)
			out = append(out, rule)
		}
		for _, pl := range p.PrefixListIds {
			rule := base
			rule.Description = known(sdk.ToString(pl.Description), arn)
			out = append(out, rule)
		}
	}
	return out
}
