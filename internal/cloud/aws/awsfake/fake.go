// Package awsfake answers the AWS APIs that moto_server lacks (S3 Control's
// account-level Block Public Access, IAM Access Analyzer), or answers
// differently from an account under test (moto always has an IAM Identity
// Center instance), with response
// shapes from the AWS API reference, for tests and benchmarks of the live
// collector. It is a test double, never used by palisade itself.
package awsfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Lacking is an http.Handler for S3 Control's public access block and
// Access Analyzer's analyzers of one account.
type Lacking struct {
	mu sync.Mutex
	// AccountBPA is the account-level Block Public Access; nil answers
	// NoSuchPublicAccessBlockConfiguration.
	AccountBPA *[4]bool
	// Analyzers are the ACTIVE analyzer types listed in every region.
	Analyzers []string
	// IdentityCenter are the IAM Identity Center instance ARNs listed in
	// every region (sso-admin ListInstances).
	IdentityCenter []string
	// Requests counts requests served.
	Requests int
}

// ServeHTTP answers GetPublicAccessBlock, PutPublicAccessBlock,
// ListAnalyzers and sso-admin ListInstances; anything else is a 400 with an
// error body.
func (l *Lacking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Requests++
	switch {
	case strings.HasSuffix(r.URL.Path, "/v20180820/configuration/publicAccessBlock") && r.Method == http.MethodGet:
		if l.AccountBPA == nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>The public access block configuration was not found</Message></Error><RequestId>fake</RequestId></ErrorResponse>`)
			return
		}
		b := *l.AccountBPA
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration><BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls><BlockPublicPolicy>%t</BlockPublicPolicy><RestrictPublicBuckets>%t</RestrictPublicBuckets></PublicAccessBlockConfiguration>`, b[0], b[2], b[1], b[3])
	case strings.HasSuffix(r.URL.Path, "/v20180820/configuration/publicAccessBlock") && r.Method == http.MethodPut:
		l.AccountBPA = &[4]bool{true, true, true, true}
		w.WriteHeader(http.StatusOK)
	case strings.HasSuffix(r.URL.Path, "/analyzer") && r.Method == http.MethodGet:
		region := signingRegion(r)
		w.Header().Set("Content-Type", "application/json")
		var items []string
		for i, t := range l.Analyzers {
			items = append(items, fmt.Sprintf(`{"arn":"arn:aws:access-analyzer:%s:123456789012:analyzer/a%d","name":"a%d","type":%q,"status":"ACTIVE","createdAt":1700000000}`, region, i, i, t))
		}
		fmt.Fprintf(w, `{"analyzers":[%s]}`, strings.Join(items, ","))
	case r.Method == http.MethodPost && r.Header.Get("X-Amz-Target") == "SWBExternalService.ListInstances":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		var items []string
		for i, arn := range l.IdentityCenter {
			items = append(items, fmt.Sprintf(`{"InstanceArn":%q,"IdentityStoreId":"d-%010d","Status":"ACTIVE","OwnerAccountId":"123456789012"}`, arn, i))
		}
		fmt.Fprintf(w, `{"Instances":[%s]}`, strings.Join(items, ","))
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"awsfake does not answer %s %s"}`, r.Method, r.URL.Path)
	}
}

// signingRegion reads the region from a SigV4 Authorization header.
func signingRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "us-east-1"
	}
	parts := strings.Split(auth[i+len("Credential="):], "/")
	if len(parts) < 3 {
		return "us-east-1"
	}
	return parts[2]
}
