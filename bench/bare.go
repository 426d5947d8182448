package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/greenlight/greenlight/internal/logging"
)

// BareWorkflow is the engine baseline: it waits for one validated Update and ends.
func BareWorkflow(ctx workflow.Context) (string, error) {
	decided := ""
	err := workflow.SetUpdateHandlerWithOptions(ctx, "decide",
		func(ctx workflow.Context, d string) (string, error) { decided = d; return d, nil },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, d string) error {
			if d == "" {
				return errors.New("empty decision")
			}
			return nil
		}})
	if err != nil {
		return "", err
	}
	if err := workflow.Await(ctx, func() bool { return decided != "" }); err != nil {
		return "", err
	}
	return decided, nil
}

// bare starts as many minimal workflows as posts and sends each one Update, with the same
// concurrency, on the stack's Temporal server, through a worker in this process.
func (r *runner) bare(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: r.cfg.Temporal, Namespace: r.cfg.Namespace, Logger: logging.SDK(nilWriter{})})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", r.cfg.Temporal, err)
	}
	defer c.Close()
	queue := fmt.Sprintf("greenlight-bench-bare-%d", time.Now().UnixNano())
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(BareWorkflow)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	n := max(r.cfg.Posts, 1)
	ids := make([]string, n)
	if err := r.each(ctx, "bare: start workflows", "bare start", n, func(i int) error {
		ids[i] = fmt.Sprintf("%s-%d", queue, i)
		return r.timed("bare start", func() error {
			_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: queue}, BareWorkflow)
			return err
		})
	}); err != nil {
		return err
	}
	// Like the posts, whose workflows are long settled when decisions arrive, wait until each
	// bare workflow has run its first task.
	if err := r.each(ctx, "bare: settle", "", n, func(i int) error {
		for {
			d, err := c.DescribeWorkflowExecution(ctx, ids[i], "")
			if err != nil {
				return err
			}
			if d.PendingWorkflowTask == nil && d.WorkflowExecutionInfo.HistoryLength >= 3 {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
	}); err != nil {
		return err
	}
	return r.each(ctx, "bare: updates", "bare update", n, func(i int) error {
		return r.timed("bare update", func() error {
			h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: ids[i], UpdateName: "decide", Args: []any{"approve"}, WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			if err != nil {
				return err
			}
			return h.Get(ctx, nil)
		})
	})
}

type nilWriter struct{}

func (nilWriter) Write(p []byte) (int, error) { return len(p), nil }
