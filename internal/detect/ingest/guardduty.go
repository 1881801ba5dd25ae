package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// getFindingsMax is the most finding ids GetFindings takes at once.
const getFindingsMax = 50

// maxResponseBytes bounds one captured API response.
const maxResponseBytes = 64 << 20

// GuardDutyPoller reads findings through the GuardDuty API in each region:
// ListDetectors, then ListFindings (updated since the last poll, oldest
// first) and GetFindings per detector. Findings are decoded from the API's
// own JSON, which is the same document EventBridge delivers as detail.
type GuardDutyPoller struct {
	Config  aws.Config
	Regions []string
	State   *State
	// Now stamps ingest times (time.Now when nil).
	Now func() time.Time
}

// Run polls every region once. Problems with one region or detector are
// returned in the error list and the others are still read.
func (g *GuardDutyPoller) Run(ctx context.Context, handle Handler) (Stats, []error) {
	var st Stats
	var errs []error
	now := g.Now
	if now == nil {
		now = time.Now
	}
	for _, region := range g.Regions {
		client := guardduty.NewFromConfig(g.Config, func(o *guardduty.Options) { o.Region = region })
		ids, err := Detectors(ctx, client)
		if err != nil {
			errs = append(errs, fmt.Errorf("guardduty %s: %w", region, err))
			continue
		}
		for _, id := range ids {
			dst, err := g.pollDetector(ctx, client, region, id, now, handle)
			st.add(dst)
			if err != nil {
				errs = append(errs, fmt.Errorf("guardduty %s detector %s: %w", region, id, err))
			}
		}
		if err := ctx.Err(); err != nil {
			return st, append(errs, err)
		}
	}
	return st, errs
}

// Detectors lists the GuardDuty detector ids of the client's region.
func Detectors(ctx context.Context, client *guardduty.Client) ([]string, error) {
	var ids []string
	p := guardduty.NewListDetectorsPaginator(client, &guardduty.ListDetectorsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list detectors: %w", err)
		}
		ids = append(ids, page.DetectorIds...)
	}
	return ids, nil
}

func (g *GuardDutyPoller) pollDetector(ctx context.Context, client *guardduty.Client, region, detector string, now func() time.Time, handle Handler) (Stats, error) {
	var st Stats
	stateKey := region + "/" + detector
	in := &guardduty.ListFindingsInput{
		DetectorId:   aws.String(detector),
		SortCriteria: &types.SortCriteria{AttributeName: aws.String("updatedAt"), OrderBy: types.OrderByAsc},
	}
	if since, ok := g.State.GuardDuty[stateKey]; ok {
		in.FindingCriteria = &types.FindingCriteria{Criterion: map[string]types.Condition{
			"updatedAt": {GreaterThanOrEqual: aws.Int64(since.UnixMilli())},
		}}
	}
	var ids []string
	p := guardduty.NewListFindingsPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return st, fmt.Errorf("list findings: %w", err)
		}
		ids = append(ids, page.FindingIds...)
	}
	newest := g.State.GuardDuty[stateKey]
	for start := 0; start < len(ids); start += getFindingsMax {
		chunk := ids[start:min(start+getFindingsMax, len(ids))]
		var body []byte
		_, err := client.GetFindings(ctx, &guardduty.GetFindingsInput{DetectorId: aws.String(detector), FindingIds: chunk},
			func(o *guardduty.Options) { o.APIOptions = append(o.APIOptions, captureBody(&body)) })
		if err != nil {
			return st, fmt.Errorf("get findings: %w", err)
		}
		evs, err := decodeFindings(body)
		if err != nil {
			return st, err
		}
		at := now()
		for _, ev := range evs {
			ev.Ingested = at
			ev.File = "guardduty:" + stateKey
			if ev.Time.After(newest) {
				newest = ev.Time
			}
		}
		st.Findings += len(evs)
		st.Events += len(evs)
		if err := handle(ctx, "guardduty:"+stateKey, evs); err != nil {
			return st, err
		}
		g.State.GuardDuty[stateKey] = newest
		if err := g.State.Save(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// decodeFindings decodes a GetFindings response body ({"findings":[...]}).
func decodeFindings(body []byte) ([]*event.Event, error) {
	var resp struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("get findings response: %w", err)
	}
	evs := make([]*event.Event, 0, len(resp.Findings))
	for i, raw := range resp.Findings {
		ev, err := event.Decode(string(raw))
		if err != nil {
			return nil, fmt.Errorf("get findings response, finding %d: %w", i, err)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// captureBody returns an SDK stack option that copies a successful
// response body into *dst before the SDK deserializes it, so findings keep
// the API's exact JSON (field names as in EventBridge) rather than the
// SDK's Go structs.
func captureBody(dst *[]byte) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("PalisadeCaptureBody",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					return out, md, err
				}
				resp, ok := out.RawResponse.(*smithyhttp.Response)
				if !ok || resp.StatusCode < 200 || resp.StatusCode > 299 {
					return out, md, nil
				}
				b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
				resp.Body.Close()
				if rerr != nil {
					return out, md, fmt.Errorf("read response: %w", rerr)
				}
				*dst = b
				resp.Body = io.NopCloser(bytes.NewReader(b))
				return out, md, nil
			}), middleware.After)
	}
}
