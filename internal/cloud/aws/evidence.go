package aws

import (
	"time"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// Evidence is what the collector learned about an account that the cloud
// model has no place for; the account- and organization-level rules of
// internal/audit read it.
type Evidence struct {
	// ServiceRegions maps a regional service ("guardduty", "cloudtrail", ...)
	// to the regions where it was read successfully. A rule that says "X is
	// missing in region R" only speaks about regions listed here.
	ServiceRegions map[string][]string
	// CredentialReport is the IAM credential report; nil when it could not
	// be read.
	CredentialReport []CredentialRow
	// AccessKeys are the IAM users' access keys.
	AccessKeys []AccessKey
	// Roles are the IAM roles with their last use.
	Roles []Role
	// GuardDuty maps each region read to whether an enabled detector exists.
	GuardDuty map[string]bool
	// AccessAnalyzers maps each region read to the analyzers' types there
	// (ACCOUNT, ORGANIZATION) that are ACTIVE.
	AccessAnalyzers map[string][]string
	// Trails are the account's trails (each once, at its home region).
	Trails []Trail
	// AccountBPARead is true when the account-level S3 Block Public Access
	// was read (whether or not it exists).
	AccountBPARead bool
	// IAMRead is true when the IAM users and roles were listed.
	IAMRead bool
	// S3Read is true when the buckets were listed.
	S3Read bool
	// Instances are the EC2 instances with their network placement.
	Instances []Instance
	// SecurityHub maps each region read to whether Security Hub is enabled.
	SecurityHub map[string]bool
	// ServerCertificates are the IAM server certificates (read with IAM).
	ServerCertificates []ServerCertificate
	// ConfigRecording maps each region read to whether an AWS Config
	// recorder is recording there.
	ConfigRecording map[string]bool
	// IdentityCenter are the ARNs of the IAM Identity Center instances the
	// account sees, from every region read ("sso-admin" in ServiceRegions).
	IdentityCenter []string

	// lastAccessed holds service-last-accessed data by role ARN until the
	// roles are known.
	lastAccessed map[string][]ServiceAccess
}

// CredentialRow is one line of the IAM credential report.
type CredentialRow struct {
	User               string
	ARN                string
	PasswordEnabled    bool
	PasswordLastUsed   time.Time
	MFAActive          bool
	AccessKey1Active   bool
	AccessKey1Rotated  time.Time
	AccessKey1LastUsed time.Time
	AccessKey2Active   bool
	AccessKey2Rotated  time.Time
	AccessKey2LastUsed time.Time
}

// IsRoot reports whether the row is the account's root user.
func (r CredentialRow) IsRoot() bool { return r.User == "<root_account>" }

// AccessKey is one IAM user access key.
type AccessKey struct {
	User     string
	UserARN  string
	ID       string
	Active   bool
	Created  time.Time
	LastUsed time.Time // zero when never used
}

// Role is one IAM role with its last use and what it last accessed.
type Role struct {
	Name    string
	ARN     string
	Path    string
	Created time.Time
	// LastUsed is zero when the role was never used (or not in the tracking period).
	LastUsed time.Time
	// AttachedPolicies are the managed policy ARNs attached to the role.
	AttachedPolicies []string
	// InlinePolicies are the names of the role's inline policies.
	InlinePolicies []string
	// Services are the service namespaces the role's policies allow, with
	// when each was last accessed (zero: never); nil when not read.
	Services []ServiceAccess
}

// ServiceAccess is one line of IAM service-last-accessed data.
type ServiceAccess struct {
	Namespace    string
	Name         string
	LastAccessed time.Time
}

// Trail is one CloudTrail trail as the account-level rules need it.
type Trail struct {
	ARN            string
	Name           string
	HomeRegion     string
	MultiRegion    bool
	Organization   bool
	Logging        bool
	LogValidation  bool
	KMSKeyID       string
	BucketName     string
	CloudWatchLogs bool
	// SelectorsRead is true when the trail's event selectors were read;
	// S3DataRead and S3DataWrite then say whether it records object-level
	// read and write events of every S3 bucket (CIS 4.8, 4.9).
	SelectorsRead bool
	S3DataRead    bool
	S3DataWrite   bool
}

// ServerCertificate is one IAM server certificate.
type ServerCertificate struct {
	Name       string
	ARN        string
	Expiration time.Time
}

// Instance is one EC2 instance with its network placement.
type Instance struct {
	ID       string
	ARN      string
	Region   string
	State    string
	SubnetID string
	PublicIP string
	// PublicSubnet is true when the subnet's route table sends 0.0.0.0/0 to
	// an internet gateway.
	PublicSubnet bool
	Tags         cloud.Tags
}
