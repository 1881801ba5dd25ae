package posture

import (
	"fmt"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

var adminPorts = []int64{22, 3389}
var dbPorts = []int64{1433, 1521, 3306, 5432, 6379, 9200, 11211, 27017}

func sgs(s *cloud.State) []*cloud.SecurityGroup { return s.SecurityGroups }

func openIngress(ports []int64, what string) func(*cloud.State, Reporter) {
	return func(s *cloud.State, report Reporter) {
		for _, g := range s.SecurityGroups {
			for _, r := range g.Rules {
				if r.Egress || !r.OpenToWorld() {
					continue
				}
				for _, p := range ports {
					if r.CoversPort(p) {
						report(g, worldAt(r), fmt.Sprintf("ingress from the internet to %s port %d", what, p))
						break
					}
				}
			}
		}
	}
}

// worldAt is where a rule open to the world names 0.0.0.0/0 or ::/0 (the
// cidr_blocks line), or the rule itself when that is not known.
func worldAt(r cloud.SGRule) cloud.Source {
	if r.CIDRs.Contains("0.0.0.0/0") && r.CIDRs.Set && !r.CIDRs.Src.IsZero() {
		return r.CIDRs.Src
	}
	if r.IPv6CIDRs.Contains("::/0") && r.IPv6CIDRs.Set && !r.IPv6CIDRs.Src.IsZero() {
		return r.IPv6CIDRs.Src
	}
	return r.Src
}

func networkRules() []Rule {
	sgTF := "ingress {\n  from_port   = 22\n  to_port     = 22\n  protocol    = \"tcp\"\n  cidr_blocks = [\"10.0.0.0/8\"]\n}"
	sgCFN := "SecurityGroupIngress:\n  - IpProtocol: tcp\n    FromPort: 22\n    ToPort: 22\n    CidrIp: 10.0.0.0/8"
	return []Rule{
		{
			ID: "AWS-VPC-001", Title: "Security group allows SSH or RDP from the internet", Severity: finding.High,
			Rationale:   "Remote administration ports open to 0.0.0.0/0 or ::/0 are scanned and brute-forced within minutes.",
			Remediation: Remediation{Text: "Allow admin ports only from a bastion or VPN range, or use SSM Session Manager.", Terraform: sgTF, CloudFormation: sgCFN},
			Refs:        Refs{CIS: []string{"6.3", "6.4"}, Checklist: stepNetwork, CWE: []string{"CWE-284"}},
			Check:       openIngress(adminPorts, "administration"),
		},
		{
			ID: "AWS-VPC-002", Title: "Security group allows database ports from the internet", Severity: finding.High,
			Rationale:   "Databases, caches and search clusters reachable from the internet are the usual source of mass data leaks.",
			Remediation: Remediation{Text: "Allow database ports only from application security groups.", Terraform: "ingress {\n  from_port       = 5432\n  to_port         = 5432\n  protocol        = \"tcp\"\n  security_groups = [aws_security_group.app.id]\n}", CloudFormation: "SecurityGroupIngress:\n  - IpProtocol: tcp\n    FromPort: 5432\n    ToPort: 5432\n    SourceSecurityGroupId: !Ref AppSG"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-284"}},
			Check:       openIngress(dbPorts, "database"),
		},
		{
			ID: "AWS-VPC-003", Title: "Security group allows all ports from the internet", Severity: finding.Critical,
			Rationale:   "A rule opening every port to the internet exposes every service on the instance.",
			Remediation: Remediation{Text: "Open only the ports the service needs.", Terraform: sgTF, CloudFormation: sgCFN},
			Refs:        Refs{CIS: []string{"6.3"}, Checklist: stepNetwork, CWE: []string{"CWE-284"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, g := range s.SecurityGroups {
					for _, r := range g.Rules {
						if !r.Egress && r.OpenToWorld() && (r.AllPorts() || r.FromPort.Is(0) && r.ToPort.Is(65535)) {
							report(g, worldAt(r), "ingress from the internet on all ports")
						}
					}
				}
			},
		},
		{
			ID: "AWS-VPC-004", Title: "Security group allows unrestricted egress", Severity: finding.Low,
			Rationale:   "Unrestricted egress lets a compromised workload exfiltrate data and reach command-and-control servers; the checklist asks to restrict egress.",
			Remediation: Remediation{Text: "Restrict egress to the destinations needed, or relay through a proxy or VPC endpoints.", Terraform: "egress {\n  from_port   = 443\n  to_port     = 443\n  protocol    = \"tcp\"\n  cidr_blocks = [\"10.0.0.0/8\"]\n}", CloudFormation: "SecurityGroupEgress:\n  - IpProtocol: tcp\n    FromPort: 443\n    ToPort: 443\n    CidrIp: 10.0.0.0/8"},
			Refs:        Refs{Checklist: stepNetwork, CWE: []string{"CWE-284"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, g := range s.SecurityGroups {
					for _, r := range g.Rules {
						if r.Egress && r.OpenToWorld() && (r.AllPorts() || r.FromPort.Is(0) && r.ToPort.Is(65535)) {
							report(g, worldAt(r), "egress to the internet on all ports")
						}
					}
				}
			},
		},
		{
			ID: "AWS-VPC-005", Title: "Security group has no description", Severity: finding.Low,
			Rationale:   "A description says why the group exists; reviewers cannot judge a rule whose purpose is unknown.",
			Remediation: Remediation{Text: "Describe the group's purpose.", Terraform: "description = \"Web tier: HTTPS from the load balancer\"", CloudFormation: "GroupDescription: Web tier, HTTPS from the load balancer"},
			Refs:        Refs{Checklist: stepOwnership},
			Check: each(sgs, func(g *cloud.SecurityGroup) (cloud.Source, string, bool) {
				return cloud.At(&g.Meta, g.Description), "security group has no description", !g.IsDefault && (g.Description.Is("") || g.Description.Is("Managed by Terraform"))
			}),
		},
		{
			ID: "AWS-VPC-006", Title: "Security group rule has no description", Severity: finding.Low,
			Rationale:   "Rule descriptions record who asked for an opening and why, so stale rules can be removed.",
			Remediation: Remediation{Text: "Describe each rule.", Terraform: "description = \"HTTPS from the load balancer\"", CloudFormation: "Description: HTTPS from the load balancer"},
			Refs:        Refs{Checklist: stepOwnership},
			Check: func(s *cloud.State, report Reporter) {
				for _, g := range s.SecurityGroups {
					for _, r := range g.Rules {
						if r.Description.Is("") {
							report(g, r.Src, "security group rule has no description")
						}
					}
				}
			},
		},
		{
			ID: "AWS-VPC-007", NoCloudFormation: "CloudFormation cannot manage a VPC's default security group; strip its rules with Terraform (aws_default_security_group) or a one-time script.", Title: "Default security group allows traffic", Severity: finding.Medium,
			Rationale:   "Resources launched without a group land in the default one; it should allow nothing so that mistake fails closed.",
			Remediation: Remediation{Text: "Manage the default security group with no rules.", Terraform: "resource \"aws_default_security_group\" \"default\" {\n  vpc_id = aws_vpc.main.id\n}", CloudFormation: "# CloudFormation cannot manage the default security group; remove its rules with the CLI."},
			Refs:        Refs{CIS: []string{"6.5"}, Checklist: stepNetwork},
			Check: each(sgs, func(g *cloud.SecurityGroup) (cloud.Source, string, bool) {
				if !g.IsDefault || len(g.Rules) == 0 {
					return g.Src, "", false
				}
				return g.Rules[0].Src, "default security group has rules", true
			}),
		},
		{
			ID: "AWS-VPC-008", Title: "Network ACL allows administration ports from the internet", Severity: finding.Medium,
			Rationale:   "A network ACL allowing 0.0.0.0/0 to ports 22 or 3389 removes a layer of defence in depth.",
			Remediation: Remediation{Text: "Deny or narrow admin-port ingress in the ACL.", Terraform: "ingress {\n  rule_no    = 100\n  action     = \"allow\"\n  protocol   = \"tcp\"\n  from_port  = 443\n  to_port    = 443\n  cidr_block = \"0.0.0.0/0\"\n}", CloudFormation: "Type: AWS::EC2::NetworkAclEntry\nProperties:\n  RuleAction: allow\n  Protocol: 6\n  PortRange: {From: 443, To: 443}\n  CidrBlock: 0.0.0.0/0"},
			Refs:        Refs{CIS: []string{"6.2"}, Checklist: stepNetwork, CWE: []string{"CWE-284"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, a := range s.NetworkACLs {
					for _, r := range a.Rules {
						if r.Egress || !r.Action.Is("allow") || !(r.CIDR.Is("0.0.0.0/0") || r.CIDR.Is("::/0")) {
							continue
						}
						all := r.Protocol.Is("-1") || r.Protocol.Is("all")
						for _, p := range adminPorts {
							if all || r.FromPort.Known && r.ToPort.Known && r.FromPort.Val <= p && p <= r.ToPort.Val {
								report(a, r.Src, fmt.Sprintf("network ACL allows port %d from the internet", p))
								break
							}
						}
					}
				}
			},
		},
		{
			ID: "AWS-VPC-009", Title: "Subnet assigns public IP addresses on launch", Severity: finding.Medium,
			Rationale:   "Instances in such a subnet get a public address by default; non-public resources belong in private subnets.",
			Remediation: Remediation{Text: "Turn off map_public_ip_on_launch and put internet-facing services behind a load balancer.", Terraform: "map_public_ip_on_launch = false", CloudFormation: "MapPublicIpOnLaunch: false"},
			Refs:        Refs{Checklist: stepNetwork},
			Check: each(func(s *cloud.State) []*cloud.Subnet { return s.Subnets }, func(n *cloud.Subnet) (cloud.Source, string, bool) {
				return isTrue(n, n.MapPublicIPOnLaunch, "subnet maps public IPs on launch")
			}),
		},
		{
			ID: "AWS-VPC-010", Title: "VPC has no flow logs", Severity: finding.Medium,
			Rationale:   "Flow logs are the network record an investigation needs (rejected connections, exfiltration volumes).",
			Remediation: Remediation{Text: "Add a flow log for the VPC.", Terraform: "resource \"aws_flow_log\" \"main\" {\n  vpc_id          = aws_vpc.main.id\n  traffic_type    = \"ALL\"\n  log_destination = aws_s3_bucket.flow.arn\n  log_destination_type = \"s3\"\n}", CloudFormation: "Type: AWS::EC2::FlowLog\nProperties:\n  ResourceId: !Ref VPC\n  ResourceType: VPC\n  TrafficType: ALL\n  LogDestinationType: s3\n  LogDestination: !GetAtt FlowBucket.Arn"},
			Refs:        Refs{CIS: []string{"4.7"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			Check: each(func(s *cloud.State) []*cloud.VPC { return s.VPCs }, func(v *cloud.VPC) (cloud.Source, string, bool) {
				return v.Src, "VPC has no flow log", v.FlowLogs.Is(false)
			}),
		},
	}
}
