package aws

import (
	"context"
	"fmt"
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// Organization is what the collector read of an AWS Organization.
type Organization struct {
	ID                  string
	ManagementAccountID string
	Accounts            []OrgAccount
	// SCPs are the service control policies with their targets (root, OU
	// and account ids); nil when they could not be read.
	SCPs []SCP
	// DelegatedAdmins maps a service principal (guardduty.amazonaws.com,
	// ...) to its delegated administrator accounts.
	DelegatedAdmins map[string][]string
}

// OrgAccount is one member account.
type OrgAccount struct {
	ID, Name, Email, Status string
}

// SCP is one service control policy.
type SCP struct {
	ID       string
	ARN      string
	Name     string
	AWSOwned bool
	Document cloud.PolicyDocument
	Targets  []string
}

func (c *Collector) orgs() *organizations.Client {
	return organizations.NewFromConfig(c.base, func(o *organizations.Options) {
		if u := c.opts.ServiceEndpoints["organizations"]; u != "" {
			o.BaseEndpoint = sdk.String(u)
		}
	})
}

// collectOrg lists the Organization's accounts (an error here stops an
// --org run), then its SCPs and delegated administrators (errors there are
// recorded and skipped).
func (c *Collector) collectOrg(ctx context.Context, sink *errorSink) (*Organization, error) {
	cl := c.orgs()
	d, err := cl.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("describe organization: %w", err)
	}
	org := &Organization{ID: sdk.ToString(d.Organization.Id), ManagementAccountID: sdk.ToString(d.Organization.MasterAccountId), DelegatedAdmins: map[string][]string{}}
	pages := organizations.NewListAccountsPaginator(cl, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page.Accounts {
			status := string(a.State)
			if status == "" {
				status = string(a.Status) //nolint:staticcheck // older APIs fill Status only
			}
			org.Accounts = append(org.Accounts, OrgAccount{ID: sdk.ToString(a.Id), Name: sdk.ToString(a.Name), Email: sdk.ToString(a.Email), Status: status})
		}
	}
	sort.Slice(org.Accounts, func(i, j int) bool { return org.Accounts[i].ID < org.Accounts[j].ID })
	mgmt := org.ManagementAccountID
	if scps, err := c.collectSCPs(ctx, cl); err != nil {
		sink.add(mgmt, "", "organizations-scp", err)
	} else {
		org.SCPs = scps
	}
	admins := organizations.NewListDelegatedAdministratorsPaginator(cl, &organizations.ListDelegatedAdministratorsInput{})
	for admins.HasMorePages() {
		page, err := admins.NextPage(ctx)
		if err != nil {
			sink.add(mgmt, "", "organizations-delegated-admins", err)
			break
		}
		for _, da := range page.DelegatedAdministrators {
			svcs, err := cl.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: da.Id})
			if err != nil {
				sink.add(mgmt, "", "organizations-delegated-admins", err)
				continue
			}
			for _, s := range svcs.DelegatedServices {
				p := sdk.ToString(s.ServicePrincipal)
				org.DelegatedAdmins[p] = append(org.DelegatedAdmins[p], sdk.ToString(da.Id))
			}
		}
	}
	return org, nil
}

func (c *Collector) collectSCPs(ctx context.Context, cl *organizations.Client) ([]SCP, error) {
	out := []SCP{}
	pages := organizations.NewListPoliciesPaginator(cl, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list SCPs: %w", err)
		}
		for _, p := range page.Policies {
			d, err := cl.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: p.Id})
			if err != nil {
				return nil, fmt.Errorf("SCP %s: %w", sdk.ToString(p.Id), err)
			}
			scp := SCP{ID: sdk.ToString(p.Id), ARN: sdk.ToString(p.Arn), Name: sdk.ToString(p.Name), AWSOwned: p.AwsManaged}
			if d.Policy != nil {
				scp.Document = parsePolicy(sdk.ToString(d.Policy.Content), scp.ARN)
			}
			tg := organizations.NewListTargetsForPolicyPaginator(cl, &organizations.ListTargetsForPolicyInput{PolicyId: p.Id})
			for tg.HasMorePages() {
				tp, err := tg.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("SCP %s targets: %w", scp.ID, err)
				}
				for _, t := range tp.Targets {
					scp.Targets = append(scp.Targets, sdk.ToString(t.TargetId))
				}
			}
			out = append(out, scp)
		}
	}
	return out, nil
}
