// Command aws-bench measures palisade's live AWS collector.
//
//	go run ./bench/aws -mode moto -resources 1000
//
// seeds one moto_server account with about that many resources (buckets,
// security groups, IAM users and roles, queues, topics, KMS keys and log
// groups in equal parts) and audits it,
// printing API calls and wall time.
//
//	go run ./bench/aws -mode org -accounts 200 -regions 17 -latency 100ms -rps 20
//
// audits a simulated Organization behind a local double that answers every
// API after the given latency and throttles each account and service past
// rps requests per second; it prints calls, attempts, throttled requests,
// wall time, the serial time the same requests would take, and the wall
// time extrapolated to 1,000 accounts.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	awscollect "github.com/palisade-sec/palisade/internal/cloud/aws"
)

func main() {
	mode := flag.String("mode", "org", "moto or org")
	resources := flag.Int("resources", 1000, "moto: resources to seed")
	accounts := flag.Int("accounts", 200, "org: accounts in the Organization")
	regions := flag.Int("regions", 17, "org: enabled regions per account")
	latency := flag.Duration("latency", 100*time.Millisecond, "org: latency added to every request")
	rps := flag.Float64("rps", 20, "org: requests per second per account and service before throttling")
	acctConc := flag.Int("account-concurrency", 16, "accounts audited at once")
	regionConc := flag.Int("region-concurrency", 6, "regions of one account read at once")
	serviceConc := flag.Int("service-concurrency", 5, "services of one region read at once")
	itemConc := flag.Int("item-concurrency", 8, "per-item calls of one service made at once (IAM users, roles, ...)")
	flag.Parse()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true"} {
		os.Setenv(k, v)
	}
	opts := awscollect.Options{AccountConcurrency: *acctConc, RegionConcurrency: *regionConc, ServiceConcurrency: *serviceConc, ItemConcurrency: *itemConc}
	var err error
	switch *mode {
	case "moto":
		err = benchMoto(*resources, opts)
	case "org":
		err = benchOrg(*accounts, *regions, *latency, *rps, opts)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws-bench:", err)
		os.Exit(1)
	}
}

func collect(endpoint string, opts awscollect.Options) (*awscollect.Result, *awscollect.Counter, time.Duration, error) {
	ctx := context.Background()
	cfg, err := awscollect.LoadConfig(ctx, "us-east-1", endpoint, 0)
	if err != nil {
		return nil, nil, 0, err
	}
	c := &awscollect.Counter{}
	c.Install(&cfg)
	start := time.Now()
	res, err := awscollect.New(cfg, opts).Collect(ctx)
	return res, c, time.Since(start), err
}

func benchOrg(n, nregions int, latency time.Duration, rps float64, opts awscollect.Options) error {
	all := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1"}
	if nregions > len(all) {
		return fmt.Errorf("at most %d regions", len(all))
	}
	d := newOrgDouble(n, all[:nregions], latency, rps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: d}
	go srv.Serve(ln)
	defer srv.Close()
	opts.Org = true
	res, c, wall, err := collect("http://"+ln.Addr().String(), opts)
	if err != nil {
		return err
	}
	serial := time.Duration(d.requests.Load()) * latency
	fmt.Printf("org: %d accounts x %d regions, latency %s, %g req/s per account and service\n", len(res.Accounts), nregions, latency, rps)
	fmt.Printf("concurrency: %d accounts x %d regions x %d services\n", opts.AccountConcurrency, opts.RegionConcurrency, opts.ServiceConcurrency)
	fmt.Printf("API calls %d, attempts %d, requests served %d, throttled %d, errors %d\n", c.Calls(), c.Attempts(), d.requests.Load(), d.throttled.Load(), len(res.Errors))
	fmt.Printf("wall %s; serial at that latency %s (%.0fx); per account %s; 1,000 accounts ~ %s\n",
		wall.Round(time.Millisecond), serial.Round(time.Second), serial.Seconds()/wall.Seconds(),
		(wall / time.Duration(len(res.Accounts))).Round(time.Millisecond), (wall * 1000 / time.Duration(len(res.Accounts))).Round(time.Second))
	for i, e := range res.Errors {
		if i == 5 {
			break
		}
		fmt.Println("error:", e.Error())
	}
	return nil
}

func benchMoto(n int, opts awscollect.Options) error {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		resp, err := http.Get(url + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			return fmt.Errorf("moto_server did not start: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	seedStart := time.Now()
	if err := seed(url, n); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("moto: seeded %d resources in %s\n", n, time.Since(seedStart).Round(time.Millisecond))
	opts.Regions = []string{"us-east-1"}
	res, c, wall, err := collect(url, opts)
	if err != nil {
		return err
	}
	st := res.Accounts[0].State
	fmt.Printf("collected buckets %d, security groups %d, users %d, roles %d, queues %d, topics %d, keys %d, log groups %d (region us-east-1, item concurrency %d)\n",
		len(st.S3Buckets), len(st.SecurityGroups), len(st.IAMUsers), len(st.IAMRoles), len(st.SQSQueues), len(st.SNSTopics), len(st.KMSKeys), len(st.LogGroups), opts.ItemConcurrency)
	fmt.Printf("API calls %d, attempts %d, errors %d, wall %s\n", c.Calls(), c.Attempts(), len(res.Errors), wall.Round(time.Millisecond))
	for i, e := range res.Errors {
		if i == 5 {
			break
		}
		fmt.Println("error:", e.Error())
	}
	return nil
}

// seed creates n resources in eight equal parts: buckets, security
// groups, IAM users (each with an access key), IAM roles, SQS queues, SNS
// topics, KMS keys and CloudWatch log groups.
func seed(url string, n int) error {
	ctx := context.Background()
	cfg := sdk.Config{Region: "us-east-1", BaseEndpoint: sdk.String(url), Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "bench", "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ec := ec2.NewFromConfig(cfg)
	ic := iam.NewFromConfig(cfg)
	vpcs, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: sdk.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) == 0 {
		return fmt.Errorf("default VPC: %v", err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	qc, tc, kc, lc := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg), kms.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
	for i := 0; i < n/8; i++ {
		name := fmt.Sprintf("bench-%04d", i)
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdk.String(name)}); err != nil {
			return err
		}
		if _, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: sdk.String(name), Description: sdk.String("bench"), VpcId: vpcs.Vpcs[0].VpcId}); err != nil {
			return err
		}
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: sdk.String(name)}); err != nil {
			return err
		}
		if _, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: sdk.String(name)}); err != nil {
			return err
		}
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdk.String(name), AssumeRolePolicyDocument: sdk.String(trust)}); err != nil {
			return err
		}
		if _, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String(name)}); err != nil {
			return err
		}
		if _, err := tc.CreateTopic(ctx, &sns.CreateTopicInput{Name: sdk.String(name)}); err != nil {
			return err
		}
		if _, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: sdk.String(name)}); err != nil {
			return err
		}
		if _, err := lc.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: sdk.String(name)}); err != nil {
			return err
		}
	}
	return nil
}
