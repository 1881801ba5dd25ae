package aws

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

func (a *accountCollector) iam() *iam.Client {
	return iam.NewFromConfig(a.cfg, func(o *iam.Options) {
		if u := a.c.opts.ServiceEndpoints["iam"]; u != "" {
			o.BaseEndpoint = sdk.String(u)
		}
	})
}

// parsePolicy parses a policy document as IAM returns it (URL-encoded JSON).
func parsePolicy(text, arn string) cloud.PolicyDocument {
	// IAM returns documents URL-encoded; S3 and Organizations return JSON.
	if t := strings.TrimSpace(text); t != "" && !strings.HasPrefix(t, "{") {
		if dec, err := url.QueryUnescape(t); err == nil {
			text = dec
		}
	}
	if strings.TrimSpace(text) == "" {
		return cloud.PolicyDocument{Known: true, Set: false, Src: arnSrc(arn)}
	}
	d := tree.Policy(&tree.Value{Kind: tree.String, S: text})
	d.Src = arnSrc(arn)
	return d
}

func tagsOf(tags []iamtypes.Tag) cloud.Tags {
	out := cloud.Tags{}
	for _, t := range tags {
		out[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return out
}

func isNoSuchEntity(err error) bool {
	var nse *iamtypes.NoSuchEntityException
	return errors.As(err, &nse)
}

// collectIAM reads users (with keys, policies and groups), groups, roles
// (with last use), customer managed policies and the password policy.
func collectIAM(ctx context.Context, a *accountCollector) error {
	cl := a.iam()
	st := &cloud.State{}
	var keys []AccessKey
	var roles []Role

	var userList []iamtypes.User
	users := iam.NewListUsersPaginator(cl, &iam.ListUsersInput{})
	for users.HasMorePages() {
		page, err := users.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		userList = append(userList, page.Users...)
	}
	st.IAMUsers = make([]*cloud.IAMUser, len(userList))
	userKeys := make([][]AccessKey, len(userList))
	err := a.each(ctx, len(userList), func(ctx context.Context, i int) error {
		u := userList[i]
		arn, name := sdk.ToString(u.Arn), sdk.ToString(u.UserName)
		user := &cloud.IAMUser{Name: known(name, arn)}
		tags, err := cl.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: u.UserName})
		if err != nil {
			return fmt.Errorf("user %s tags: %w", name, err)
		}
		user.Meta = meta("aws_iam_user", arn, tagsOf(tags.Tags))
		ks, err := cl.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: u.UserName})
		if err != nil {
			return fmt.Errorf("user %s access keys: %w", name, err)
		}
		active := false
		for _, k := range ks.AccessKeyMetadata {
			key := AccessKey{User: name, UserARN: arn, ID: sdk.ToString(k.AccessKeyId), Active: k.Status == iamtypes.StatusTypeActive, Created: sdk.ToTime(k.CreateDate)}
			active = active || key.Active
			lu, err := cl.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
			if err != nil {
				return fmt.Errorf("access key last used for %s: %w", name, err)
			}
			if lu.AccessKeyLastUsed != nil {
				key.LastUsed = sdk.ToTime(lu.AccessKeyLastUsed.LastUsedDate)
			}
			userKeys[i] = append(userKeys[i], key)
		}
		user.HasAccessKey = known(active, arn)
		_, err = cl.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u.UserName})
		switch {
		case err == nil:
			user.HasLoginProfile = known(true, arn)
		case isNoSuchEntity(err):
			user.HasLoginProfile = known(false, arn)
		default:
			return fmt.Errorf("user %s login profile: %w", name, err)
		}
		inl, err := cl.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: u.UserName})
		if err != nil {
			return fmt.Errorf("user %s inline policies: %w", name, err)
		}
		for _, pn := range inl.PolicyNames {
			p, err := cl.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: u.UserName, PolicyName: sdk.String(pn)})
			if err != nil {
				return fmt.Errorf("user %s policy %s: %w", name, pn, err)
			}
			user.InlinePolicies = append(user.InlinePolicies, parsePolicy(sdk.ToString(p.PolicyDocument), arn))
		}
		att, err := cl.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: u.UserName})
		if err != nil {
			return fmt.Errorf("user %s attached policies: %w", name, err)
		}
		for _, p := range att.AttachedPolicies {
			user.AttachedPolicies = append(user.AttachedPolicies, sdk.ToString(p.PolicyArn))
		}
		grp, err := cl.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: u.UserName})
		if err != nil {
			return fmt.Errorf("user %s groups: %w", name, err)
		}
		for _, g := range grp.Groups {
			user.Groups = append(user.Groups, sdk.ToString(g.GroupName))
		}
		st.IAMUsers[i] = user
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range userKeys {
		keys = append(keys, k...)
	}

	var groupList []iamtypes.Group
	groups := iam.NewListGroupsPaginator(cl, &iam.ListGroupsInput{})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list groups: %w", err)
		}
		groupList = append(groupList, page.Groups...)
	}
	st.IAMGroups = make([]*cloud.IAMGroup, len(groupList))
	err = a.each(ctx, len(groupList), func(ctx context.Context, i int) error {
		g := groupList[i]
		arn := sdk.ToString(g.Arn)
		grp := &cloud.IAMGroup{Meta: meta("aws_iam_group", arn, nil), Name: known(sdk.ToString(g.GroupName), arn)}
		grp.TagsKnown = false // groups carry no tags
		inl, err := cl.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: g.GroupName})
		if err != nil {
			return fmt.Errorf("group %s inline policies: %w", sdk.ToString(g.GroupName), err)
		}
		for _, pn := range inl.PolicyNames {
			p, err := cl.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: g.GroupName, PolicyName: sdk.String(pn)})
			if err != nil {
				return fmt.Errorf("group %s policy %s: %w", sdk.ToString(g.GroupName), pn, err)
			}
			grp.InlinePolicies = append(grp.InlinePolicies, parsePolicy(sdk.ToString(p.PolicyDocument), arn))
		}
		att, err := cl.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: g.GroupName})
		if err != nil {
			return fmt.Errorf("group %s attached policies: %w", sdk.ToString(g.GroupName), err)
		}
		for _, p := range att.AttachedPolicies {
			grp.AttachedPolicies = append(grp.AttachedPolicies, sdk.ToString(p.PolicyArn))
		}
		st.IAMGroups[i] = grp
		return nil
	})
	if err != nil {
		return err
	}

	var roleList []iamtypes.Role
	rolePages := iam.NewListRolesPaginator(cl, &iam.ListRolesInput{})
	for rolePages.HasMorePages() {
		page, err := rolePages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		roleList = append(roleList, page.Roles...)
	}
	st.IAMRoles = make([]*cloud.IAMRole, len(roleList))
	roles = make([]Role, len(roleList))
	err = a.each(ctx, len(roleList), func(ctx context.Context, i int) error {
		r := roleList[i]
		arn, name := sdk.ToString(r.Arn), sdk.ToString(r.RoleName)
		full, err := cl.GetRole(ctx, &iam.GetRoleInput{RoleName: r.RoleName})
		if err != nil {
			return fmt.Errorf("role %s: %w", name, err)
		}
		role := &cloud.IAMRole{
			Meta:        meta("aws_iam_role", arn, tagsOf(full.Role.Tags)),
			Name:        known(name, arn),
			TrustPolicy: parsePolicy(sdk.ToString(full.Role.AssumeRolePolicyDocument), arn),
		}
		ev := Role{Name: name, ARN: arn, Path: sdk.ToString(r.Path), Created: sdk.ToTime(r.CreateDate)}
		if lu := full.Role.RoleLastUsed; lu != nil {
			ev.LastUsed = sdk.ToTime(lu.LastUsedDate)
		}
		inl, err := cl.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: r.RoleName})
		if err != nil {
			return fmt.Errorf("role %s inline policies: %w", name, err)
		}
		for _, pn := range inl.PolicyNames {
			p, err := cl.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: r.RoleName, PolicyName: sdk.String(pn)})
			if err != nil {
				return fmt.Errorf("role %s policy %s: %w", name, pn, err)
			}
			role.InlinePolicies = append(role.InlinePolicies, parsePolicy(sdk.ToString(p.PolicyDocument), arn))
			ev.InlinePolicies = append(ev.InlinePolicies, pn)
		}
		att, err := cl.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
		if err != nil {
			return fmt.Errorf("role %s attached policies: %w", name, err)
		}
		for _, p := range att.AttachedPolicies {
			role.AttachedPolicies = append(role.AttachedPolicies, sdk.ToString(p.PolicyArn))
		}
		ev.AttachedPolicies = role.AttachedPolicies
		st.IAMRoles[i] = role
		roles[i] = ev
		return nil
	})
	if err != nil {
		return err
	}

	var polList []iamtypes.Policy
	pols := iam.NewListPoliciesPaginator(cl, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	for pols.HasMorePages() {
		page, err := pols.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list policies: %w", err)
		}
		polList = append(polList, page.Policies...)
	}
	st.IAMPolicies = make([]*cloud.IAMPolicy, len(polList))
	err = a.each(ctx, len(polList), func(ctx context.Context, i int) error {
		p := polList[i]
		arn := sdk.ToString(p.Arn)
		v, err := cl.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: p.DefaultVersionId})
		if err != nil {
			return fmt.Errorf("policy %s: %w", arn, err)
		}
		pol := &cloud.IAMPolicy{Meta: meta("aws_iam_policy", arn, tagsOf(p.Tags)), Name: known(sdk.ToString(p.PolicyName), arn)}
		if v.PolicyVersion != nil {
			pol.Document = parsePolicy(sdk.ToString(v.PolicyVersion.Document), arn)
		}
		pol.TagsKnown = p.Tags != nil
		st.IAMPolicies[i] = pol
		return nil
	})
	if err != nil {
		return err
	}

	var certs []ServerCertificate
	sc := iam.NewListServerCertificatesPaginator(cl, &iam.ListServerCertificatesInput{})
	for sc.HasMorePages() {
		page, err := sc.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list server certificates: %w", err)
		}
		for _, c := range page.ServerCertificateMetadataList {
			certs = append(certs, ServerCertificate{Name: sdk.ToString(c.ServerCertificateName), ARN: sdk.ToString(c.Arn), Expiration: sdk.ToTime(c.Expiration)})
		}
	}

	pp, err := cl.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	switch {
	case err == nil && pp.PasswordPolicy != nil:
		arn := "arn:aws:iam::" + a.account + ":account-password-policy"
		p := pp.PasswordPolicy
		st.PasswordPolicies = append(st.PasswordPolicies, &cloud.PasswordPolicy{
			Meta:             meta("aws_iam_account_password_policy", arn, nil),
			MinimumLength:    known(int64(sdk.ToInt32(p.MinimumPasswordLength)), arn),
			ReusePrevention:  known(int64(sdk.ToInt32(p.PasswordReusePrevention)), arn),
			RequireSymbols:   known(p.RequireSymbols, arn),
			RequireNumbers:   known(p.RequireNumbers, arn),
			RequireUppercase: known(p.RequireUppercaseCharacters, arn),
			RequireLowercase: known(p.RequireLowercaseCharacters, arn),
			MaxAge:           known(int64(sdk.ToInt32(p.MaxPasswordAge)), arn),
		})
		st.PasswordPolicies[0].TagsKnown = false
	case err != nil && !isNoSuchEntity(err):
		return fmt.Errorf("password policy: %w", err)
	}

	a.merge(st, func(ev *Evidence) {
		ev.AccessKeys = append(ev.AccessKeys, keys...)
		ev.Roles = append(ev.Roles, roles...)
		ev.ServerCertificates = append(ev.ServerCertificates, certs...)
		ev.IAMRead = true
	})
	return nil
}

// collectCredentialReport generates and reads the IAM credential report
// (root MFA and keys, password and key use of every user).
func collectCredentialReport(ctx context.Context, a *accountCollector) error {
	cl := a.iam()
	for i := 0; ; i++ {
		out, err := cl.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return fmt.Errorf("generate credential report: %w", err)
		}
		if out.State == iamtypes.ReportStateTypeComplete {
			break
		}
		if i >= 20 {
			return errors.New("credential report not ready after 20 tries")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	rep, err := cl.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		return fmt.Errorf("get credential report: %w", err)
	}
	rows, err := ParseCredentialReport(rep.Content)
	if err != nil {
		return err
	}
	a.merge(nil, func(ev *Evidence) { ev.CredentialReport = rows })
	return nil
}

// ParseCredentialReport parses the CSV of an IAM credential report.
// Dates are RFC 3339; "N/A", "no_information" and "not_supported" are zero.
func ParseCredentialReport(content []byte) ([]CredentialRow, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("credential report: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, need := range []string{"user", "arn"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("credential report: no %q column", need)
		}
	}
	var out []CredentialRow
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("credential report: line %d: %w", line, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		date := func(name string) time.Time {
			t, err := time.Parse(time.RFC3339, get(name))
			if err != nil {
				return time.Time{}
			}
			return t
		}
		out = append(out, CredentialRow{
			User:               get("user"),
			ARN:                get("arn"),
			PasswordEnabled:    get("password_enabled") == "true",
			PasswordLastUsed:   date("password_last_used"),
			MFAActive:          get("mfa_active") == "true",
			AccessKey1Active:   get("access_key_1_active") == "true",
			AccessKey1Rotated:  date("access_key_1_last_rotated"),
			AccessKey1LastUsed: date("access_key_1_last_used_date"),
			AccessKey2Active:   get("access_key_2_active") == "true",
			AccessKey2Rotated:  date("access_key_2_last_rotated"),
			AccessKey2LastUsed: date("access_key_2_last_used_date"),
		})
	}
}

// collectLastAccessed asks IAM which services each role last accessed
// (the data behind least-privilege suggestions). Service-linked roles are
// skipped: AWS owns their policies.
func collectLastAccessed(ctx context.Context, a *accountCollector) error {
	cl := a.iam()
	// collectIAM runs beside this step, so list the roles here too.
	var arns []string
	pages := iam.NewListRolesPaginator(cl, &iam.ListRolesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		for _, r := range page.Roles {
			if strings.HasPrefix(sdk.ToString(r.Path), "/aws-service-role/") {
				continue
			}
			arns = append(arns, sdk.ToString(r.Arn))
		}
	}
	results := make([][]ServiceAccess, len(arns))
	err := a.each(ctx, len(arns), func(ctx context.Context, i int) error {
		arn := arns[i]
		job, err := cl.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: sdk.String(arn)})
		if err != nil {
			return fmt.Errorf("service last accessed for %s: %w", arn, err)
		}
		for try := 0; ; try++ {
			out, err := cl.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId})
			if err != nil {
				return fmt.Errorf("service last accessed for %s: %w", arn, err)
			}
			if out.JobStatus == iamtypes.JobStatusTypeInProgress {
				if try >= 20 {
					return fmt.Errorf("service last accessed for %s: job not done after 20 tries", arn)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(500 * time.Millisecond):
				}
				continue
			}
			if out.JobStatus == iamtypes.JobStatusTypeFailed {
				return fmt.Errorf("service last accessed for %s: job failed", arn)
			}
			results[i] = []ServiceAccess{}
			for _, s := range out.ServicesLastAccessed {
				results[i] = append(results[i], ServiceAccess{Namespace: sdk.ToString(s.ServiceNamespace), Name: sdk.ToString(s.ServiceName), LastAccessed: sdk.ToTime(s.LastAuthenticated)})
			}
			return nil
		}
	})
	if err != nil {
		return err
	}
	found := map[string][]ServiceAccess{}
	for i, arn := range arns {
		found[arn] = results[i]
	}
	a.merge(nil, func(ev *Evidence) {
		if ev.lastAccessed == nil {
			ev.lastAccessed = map[string][]ServiceAccess{}
		}
		for k, v := range found {
			ev.lastAccessed[k] = v
		}
	})
	return nil
}
