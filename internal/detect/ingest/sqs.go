package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SQSSource consumes a queue of S3 object notifications (direct, through
// SNS, or EventBridge "Object Created") and EventBridge events carrying
// GuardDuty findings or CloudTrail records. A message is deleted only after
// every object and event it names was handled; otherwise it comes back
// after the queue's visibility timeout (and to its dead-letter queue after
// the redrive limit).
type SQSSource struct {
	SQS      *sqs.Client
	S3       *s3.Client
	QueueURL string
	// MaxMessages stops the run after this many messages (0: no limit).
	MaxMessages int
	// Idle stops the run when no message arrived for this long (0: never).
	Idle time.Duration
	// MaxRecordBytes caps one record (event.DefaultMaxRecordBytes if zero).
	MaxRecordBytes int
	// Now stamps ingest times (time.Now when nil).
	Now func() time.Time
}

// maxLongPoll is SQS's longest ReceiveMessage wait.
const maxLongPoll = 20 * time.Second

// Run receives and handles messages until MaxMessages, Idle or ctx ends it.
// Problems with single messages are returned in the error list and the
// run goes on.
func (q *SQSSource) Run(ctx context.Context, handle Handler) (Stats, []error) {
	var st Stats
	var errs []error
	now := q.Now
	if now == nil {
		now = time.Now
	}
	lastMessage := time.Now()
	for q.MaxMessages == 0 || st.Messages < q.MaxMessages {
		if err := ctx.Err(); err != nil {
			return st, append(errs, err)
		}
		wait := maxLongPoll
		if q.Idle > 0 {
			left := q.Idle - time.Since(lastMessage)
			if left <= 0 {
				break
			}
			wait = min(wait, left)
		}
		batch := int32(10)
		if q.MaxMessages > 0 {
			batch = int32(min(10, q.MaxMessages-st.Messages))
		}
		out, err := q.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(q.QueueURL),
			MaxNumberOfMessages: batch,
			WaitTimeSeconds:     int32((wait + time.Second - 1) / time.Second),
		})
		if err != nil {
			return st, append(errs, fmt.Errorf("sqs %s: receive: %w", q.QueueURL, err))
		}
		if len(out.Messages) > 0 {
			lastMessage = time.Now()
		}
		for _, m := range out.Messages {
			st.Messages++
			id := aws.ToString(m.MessageId)
			mst, merrs, err := q.handleMessage(ctx, aws.ToString(m.Body), now, handle)
			st.add(mst)
			for _, e := range merrs {
				errs = append(errs, fmt.Errorf("sqs message %s: %w", id, e))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("sqs message %s: %w (left on the queue)", id, err))
				continue
			}
			if _, err := q.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{
				QueueUrl: aws.String(q.QueueURL), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				errs = append(errs, fmt.Errorf("sqs message %s: delete: %w", id, err))
			}
		}
	}
	return st, errs
}

// handleMessage handles what one message names. err set means the message
// must stay on the queue.
func (q *SQSSource) handleMessage(ctx context.Context, body string, now func() time.Time, handle Handler) (st Stats, recErrs []error, err error) {
	n, err := ParseNotification([]byte(body))
	if err != nil {
		return st, nil, err
	}
	for _, ref := range n.Objects {
		ost, oerrs, err := readObject(ctx, q.S3, ref, q.MaxRecordBytes, now, handle)
		st.add(ost)
		recErrs = append(recErrs, oerrs...)
		if err != nil {
			return st, recErrs, err
		}
	}
	if len(n.Events) > 0 {
		at := now()
		for _, ev := range n.Events {
			ev.Ingested = at
			ev.File = "sqs:" + q.QueueURL
		}
		st.Events += len(n.Events)
		if err := handle(ctx, "sqs:"+q.QueueURL, n.Events); err != nil {
			return st, recErrs, err
		}
	}
	return st, recErrs, nil
}
