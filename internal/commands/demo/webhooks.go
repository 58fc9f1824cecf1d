package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/asc-action/asc-action/internal/command"
	"github.com/asc-action/asc-action/internal/httpx"
	"github.com/asc-action/asc-action/internal/relay"
	"github.com/asc-action/asc-action/internal/untrusted"
)

// The demo's webhook path: the emulator sends its webhooks to a relay
// (internal/relay, in-process), which dispatches to a local stand-in for
// GitHub's API; the next step starts from that dispatch, as a workflow on
// repository_dispatch would.

// Names of the values the demo gives steps at run time (Step.Vars).
const (
	VarRelayURL      = "relay-url"
	VarWebhookSecret = "webhook-secret"
	// VarDispatchedUpload waits for the dispatch of a COMPLETE build upload
	// and gives its client_payload.instance_id.
	VarDispatchedUpload = "dispatched-build-upload-id"
)

// demoRepo is the repository the stand-in plays.
const demoRepo = "demo/app"

// dispatchWait bounds the wait for the COMPLETE dispatch.
const dispatchWait = time.Minute

type webhookPath struct {
	relayURL, secret string
	mu               sync.Mutex
	dispatches       []map[string]any
	arrived          chan struct{}
	closers          []func()
}

// startWebhookPath starts the stand-in for GitHub's API and the relay.
func startWebhookPath(env *command.Env) (*webhookPath, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	p := &webhookPath{secret: hex.EncodeToString(b), arrived: make(chan struct{}, 1)}
	env.Report.Mask(p.secret)
	ghURL, err := p.serve(http.HandlerFunc(p.gitHub))
	if err != nil {
		return nil, err
	}
	gh, err := relay.NewGitHub(demoRepo, "demo-token-not-a-secret", ghURL+"/", nil)
	if err != nil {
		p.close()
		return nil, err
	}
	h, err := relay.New(relay.Config{Secrets: [][]byte{[]byte(p.secret)}, Dispatcher: gh,
		Logf: func(format string, args ...any) { env.Report.Infof("%s", fmt.Sprintf(format, args...)) }})
	if err == nil {
		p.relayURL, err = p.serve(h)
	}
	if err != nil {
		p.close()
		return nil, err
	}
	env.Report.Infof("Webhook relay: %s, dispatching to a stand-in for GitHub's API at %s (repository %s)", p.relayURL, ghURL, demoRepo)
	return p, nil
}

func (p *webhookPath) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	p.closers = append(p.closers, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

func (p *webhookPath) close() {
	for _, c := range p.closers {
		c()
	}
}

// gitHub plays POST /repos/{owner}/{repo}/dispatches.
func (p *webhookPath) gitHub(w http.ResponseWriter, r *http.Request) {
	var d map[string]any
	body, err := httpx.ReadAll(r.Body, relay.MaxBody, "dispatch", "relay.MaxBody")
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/repos/"+demoRepo+"/dispatches" || json.Unmarshal(body, &d) != nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	p.mu.Lock()
	p.dispatches = append(p.dispatches, d)
	p.mu.Unlock()
	select {
	case p.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// value gives a step's Vars.
func (p *webhookPath) value(ctx context.Context, name string) (string, untrusted.Markdown, error) {
	switch name {
	case VarRelayURL:
		return p.relayURL + "/", untrusted.Markdown{}, nil
	case VarWebhookSecret:
		return p.secret, untrusted.Markdown{}, nil
	case VarDispatchedUpload:
		return p.completed(ctx)
	}
	return "", untrusted.Markdown{}, fmt.Errorf("the demo has no value %q", name)
}

// completed waits for the dispatch of a COMPLETE build upload.
func (p *webhookPath) completed(ctx context.Context) (string, untrusted.Markdown, error) {
	start := time.Now()
	deadline := time.NewTimer(dispatchWait)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for _, d := range p.dispatches {
			pl, _ := d["client_payload"].(map[string]any)
			if pl["new_state"] == "COMPLETE" && pl["instance_type"] == "buildUploads" {
				p.mu.Unlock()
				id, _ := pl["instance_id"].(string)
				row := untrusted.Markdownf("| relay → GitHub | ok | repository_dispatch %s: %s, new_state=%s, instance_id=%s | %.1fs |\n",
					d["event_type"], pl["event_type"], pl["new_state"], id, time.Since(start).Seconds())
				return id, row, nil
			}
		}
		p.mu.Unlock()
		select {
		case <-p.arrived:
		case <-ctx.Done():
			return "", untrusted.Markdown{}, ctx.Err()
		case <-deadline.C:
			return "", untrusted.Markdown{}, errors.New("no repository_dispatch of a COMPLETE build upload within " + dispatchWait.String())
		}
	}
}

// resolveVars fills a step's Vars into its inputs; rows are the summary
// rows of what was waited for.
func resolveVars(ctx context.Context, p *webhookPath, st Step, inputs command.MapValues) ([]untrusted.Markdown, error) {
	var rows []untrusted.Markdown
	for input, name := range st.Vars {
		if p == nil {
			return nil, errors.New("the demo's webhook path is not running")
		}
		v, row, err := p.value(ctx, name)
		if err != nil {
			return rows, err
		}
		if strings.TrimSpace(row.String()) != "" {
			rows = append(rows, row)
		}
		inputs[input] = v
	}
	return rows, nil
}
