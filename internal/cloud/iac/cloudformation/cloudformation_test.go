package cloudformation

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

// prop renders a resolved property for comparison: its string, "unknown",
// "null", or "<kind>" for lists and maps.
func prop(v *tree.Value) string {
	switch {
	case v.IsUnknown():
		return "unknown"
	case v.IsNull():
		return "null"
	}
	if s, ok := v.Str(); ok {
		return s
	}
	if v.Kind == tree.List {
		return "<list>"
	}
	return "<map>"
}

func TestParseResolvesIntrinsics(t *testing.T) {
	const head = "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Env:\n    Type: String\n    Default: prod\n  Free:\n    Type: String\n  Ssm:\n    Type: AWS::SSM::Parameter::Value<String>\n    Default: /x\nMappings:\n  Regions:\n    prod:\n      Size: 10\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Equals [!Ref Env, dev]\nResources:\n"
	cases := []struct {
		name  string
		value string // YAML for the Value property of resource R
		want  string
	}{
		{"Ref to a parameter with a default gives the default", "!Ref Env", "prod"},
		{"Ref to a parameter without a default is unknown", "!Ref Free", "unknown"},
		{"an SSM parameter is unknown even with a default", "!Ref Ssm", "unknown"},
		{"Ref to a resource is a placeholder naming it", "!Ref Other", tree.RefPrefix + "Other"},
		{"GetAtt is a placeholder naming resource and attribute", "!GetAtt Other.Arn", tree.RefPrefix + "Other.Arn"},
		{"Sub substitutes parameters", "!Sub 'app-${Env}'", "app-prod"},
		{"Sub with an unknown parameter is unknown", "!Sub 'app-${Free}'", "unknown"},
		{"Join joins known parts", "!Join ['-', [a, !Ref Env]]", "a-prod"},
		{"Select picks an element", "!Select [1, [a, b, c]]", "b"},
		{"If follows a condition on a parameter default", "!If [IsProd, big, small]", "big"},
		{"If with a false condition takes the other branch", "!If [IsDev, big, small]", "small"},
		{"FindInMap reads a mapping", "!FindInMap [Regions, !Ref Env, Size]", "10"},
		{"AWS::NoValue removes the property", "!Ref AWS::NoValue", "null"},
		{"long form intrinsic in JSON style", "{\"Fn::Join\": [\"\", [\"x\", {\"Ref\": \"Env\"}]]}", "xprod"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := head + "  Other:\n    Type: AWS::SQS::Queue\n  R:\n    Type: AWS::SQS::Queue\n    Properties:\n      Value: " + c.value + "\n"
			tmpl, err := Parse("t.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			var r *Resource
			for _, x := range tmpl.Resources {
				if x.LogicalID == "R" {
					r = x
				}
			}
			if r == nil {
				t.Fatal("resource R missing")
			}
			if got := prop(r.Properties.Get("Value")); got != c.want {
				t.Errorf("Value = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseTemplateStructure(t *testing.T) {
	cases := []struct {
		name      string
		src       string
		wantIDs   string // logical ids in order
		wantErr   string // substring of the error
		check     func(t *testing.T, tmpl *Template)
		sentinel  error
		wantLines string // logical id:line
	}{
		{
			name:    "a resource whose condition is false is left out",
			src:     "Conditions:\n  No: !Equals [a, b]\nResources:\n  A:\n    Type: AWS::SQS::Queue\n    Condition: No\n  B:\n    Type: AWS::SQS::Queue\n",
			wantIDs: "B",
		},
		{
			name:      "resources are placed at their logical id line, in JSON too",
			src:       "{\n \"Resources\": {\n  \"A\": {\"Type\": \"AWS::SQS::Queue\"},\n  \"B\": {\n   \"Type\": \"AWS::SQS::Queue\"\n  }\n }\n}\n",
			wantIDs:   "A B",
			wantLines: "A:3 B:4",
		},
		{
			name:    "palisade:ignore comments above the logical id are read",
			src:     "Resources:\n  # palisade:ignore AWS-SQS-001 test queue\n  # palisade:ignore AWS-TAG-001\n  A:\n    Type: AWS::SQS::Queue\n",
			wantIDs: "A",
			check: func(t *testing.T, tmpl *Template) {
				ig := tmpl.Resources[0].Ignores
				if len(ig) != 2 || ig[0].RuleID != "AWS-SQS-001" && ig[1].RuleID != "AWS-SQS-001" {
					t.Errorf("ignores %+v", ig)
				}
			},
		},
		{
			name:     "a file without Resources is not a template",
			src:      "Outputs:\n  X:\n    Value: 1\n",
			wantErr:  "t.yaml:1:",
			sentinel: ErrNotTemplate,
		},
		{
			name:    "invalid YAML names the file and line",
			src:     "Resources:\n  A: [\n",
			wantErr: "t.yaml: yaml: line",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := Parse("t.yaml", []byte(c.src))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				if c.sentinel != nil && !errors.Is(err, c.sentinel) {
					t.Errorf("error %v is not %v", err, c.sentinel)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids, lines []string
			for _, r := range tmpl.Resources {
				ids = append(ids, r.LogicalID)
				lines = append(lines, r.LogicalID+":"+strconv.Itoa(r.Src.Line))
			}
			if strings.Join(ids, " ") != c.wantIDs {
				t.Errorf("resources %v, want %s", ids, c.wantIDs)
			}
			if c.wantLines != "" && strings.Join(lines, " ") != c.wantLines {
				t.Errorf("lines %v, want %s", lines, c.wantLines)
			}
			if c.check != nil {
				c.check(t, tmpl)
			}
		})
	}
}

func TestStateMapsTemplatesIntoTheModel(t *testing.T) {
	src := `Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration:
        Status: Enabled
      ReplicationConfiguration:
        Role: arn:aws:iam::111122223333:role/r
        Rules:
          - Status: Enabled
            Destination:
              Bucket: !GetAtt Replica.Arn
      Tags:
        - {Key: owner, Value: team-a}
  Replica:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - {Key: owner, Value: !Ref Unresolved}
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: "*"
            Condition: {Bool: {"aws:SecureTransport": "false"}}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
  Egress:
    Type: AWS::EC2::SecurityGroupEgress
    Properties:
      GroupId: !Ref Group
      IpProtocol: "-1"
      CidrIp: 0.0.0.0/0
`
	tmpl, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st := State(tmpl)
	if len(st.S3Buckets) != 2 {
		t.Fatalf("%d buckets", len(st.S3Buckets))
	}
	b, replica := st.S3Buckets[0], st.S3Buckets[1]
	cases := []struct {
		name string
		ok   bool
	}{
		{"versioning is read", b.Versioning.Is(true)},
		{"replication targets name the replica by placeholder", len(b.ReplicationTargets) == 1 && b.ReplicationTargets[0] == tree.RefPrefix+"Replica.Arn"},
		{"known tags are read", b.TagsKnown && b.Tags["owner"] == "team-a"},
		{"a tag with an unresolved value makes the tags unknown", !replica.TagsKnown},
		{"a separate bucket policy is attached to its bucket", b.Policy.Known && len(b.Policy.Statements) == 1 && len(b.Policy.Statements[0].ConditionValues("Bool", "aws:SecureTransport")) == 1},
		{"ingress and a separate egress resource are rules of one group", len(st.SecurityGroups) == 1 && len(st.SecurityGroups[0].Rules) == 2},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s: failed", c.name)
		}
	}
	if len(st.SecurityGroups) == 1 {
		for _, r := range st.SecurityGroups[0].Rules {
			if r.Egress && (!r.AllPorts() || !r.OpenToWorld() || r.Src.Line != 37) {
				t.Errorf("egress rule %+v", r)
			}
		}
	}
}

// TestSAMGlobals checks the SAM transform's Globals rules: the resource's
// scalar wins, maps merge key by key, lists are the global items then the
// resource's, and each value keeps the line it was written at.
func TestSAMGlobals(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Tracing: Active
    Layers:
      - arn:aws:lambda:eu-west-1:111122223333:layer:common:1
    Environment:
      Variables:
        LOG_LEVEL: info
        REGION: eu-west-1
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Layers:
        - arn:aws:lambda:eu-west-1:111122223333:layer:own:3
      Environment:
        Variables:
          LOG_LEVEL: debug
  Queue:
    Type: AWS::SQS::Queue
`
	tmpl, err := Parse("template.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var fn, queue *Resource
	for _, r := range tmpl.Resources {
		switch r.LogicalID {
		case "Fn":
			fn = r
		case "Queue":
			queue = r
		}
	}
	p := fn.Properties
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"the resource's runtime wins", p.Get("Runtime").S, "python3.12"},
		{"an inherited scalar is set", p.Get("Tracing").S, "Active"},
		{"an inherited scalar keeps its line in Globals", p.Get("Tracing").Line, 5},
		{"lists are global items then the resource's", len(p.Get("Layers").L), 2},
		{"the global list item comes first", p.Get("Layers").L[0].S, "arn:aws:lambda:eu-west-1:111122223333:layer:common:1"},
		{"a map key the resource sets wins", p.Path("Environment", "Variables", "LOG_LEVEL").S, "debug"},
		{"a map key only in Globals is inherited", p.Path("Environment", "Variables", "REGION").S, "eu-west-1"},
		{"a non-SAM resource inherits nothing", queue.Properties.Get("Runtime") == nil || queue.Properties.Get("Runtime").Kind == 0, true},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	st := State(tmpl)
	if len(st.LambdaFunctions) != 1 || !st.LambdaFunctions[0].Tracing.Is("Active") || !st.LambdaFunctions[0].Environment["REGION"].Is("eu-west-1") {
		t.Errorf("the SAM function was not modelled with its Globals: %+v", st.LambdaFunctions)
	}
}
