package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/store"
)

func TestNotifyCrisisReachesRolesBackupsAdminsAndSlackOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		var mu sync.Mutex
		slack := map[string]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			slack[r.Header.Get("Idempotency-Key")]++
			mu.Unlock()
		}))
		defer srv.Close()
		f.acts.Crises, f.acts.SlackWebhookURL = st, srv.URL
		f.acts.HTTP = loopbackHTTP(t)

		lead := &store.User{ID: greenlight.NewID("usr_"), Email: "lea@agency.test", Name: "Léa", Role: "crisis_lead", CreatedAt: time.Now().UTC()}
		admin := &store.User{ID: greenlight.NewID("usr_"), Email: "boss@agency.test", Name: "Boss", Role: "admin", CreatedAt: time.Now().UTC()}
		require.NoError(t, st.CreateUser(ctx, lead))
		require.NoError(t, st.CreateUser(ctx, admin))
		require.NoError(t, st.SaveContacts(ctx, f.client.ID, []store.CrisisContact{
			{ID: greenlight.NewID("cnt_"), Role: "legal", Name: "Louise", Email: "louise@brand.test", BackupName: "Luc", BackupEmail: "luc@brand.test"},
			{ID: greenlight.NewID("cnt_"), Role: "exec", Name: "Eric", Email: "eric@brand.test"},
		}))
		crisis := &store.Crisis{ID: greenlight.NewID("crs_"), ClientID: f.client.ID, PlaybookKey: "bad-buzz", PlaybookVersion: "v",
			PlaybookTitle: "Bad buzz", Severity: "high", Summary: "s", Status: "active", LeadID: lead.ID, LeadName: lead.Name, StartedAt: time.Now().UTC()}
		require.NoError(t, st.CreateCrisis(ctx, crisis))

		tests := []struct {
			name string
			n    activities.CrisisNotification
			want []string
		}{
			{"notify step roles", activities.CrisisNotification{Kind: activities.CrisisNotifyStep, Roles: []string{"legal", "client", "crisis_lead"}, Message: "Freeze", Key: "k/step"},
				[]string{"ana@brand.test", "bob@brand.test", "lea@agency.test", "louise@brand.test"}},
			{"late: backup and lead", activities.CrisisNotification{Kind: activities.CrisisNotifyLate, Role: "legal", StepTitle: "Review", Key: "k/late"},
				[]string{"lea@agency.test", "luc@brand.test"}},
			{"still late: admins", activities.CrisisNotification{Kind: activities.CrisisNotifyAdmins, Role: "legal", StepTitle: "Review", Key: "k/admins"},
				[]string{"boss@agency.test"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.mail.sent = nil
				n := tt.n
				n.CrisisID, n.ClientID = crisis.ID, f.client.ID
				require.NoError(t, f.acts.NotifyCrisis(ctx, n))
				require.NoError(t, f.acts.NotifyCrisis(ctx, n), "a retry sends nothing again")
				var got []string
				for _, m := range f.mail.sent {
					got = append(got, m.To)
					require.Contains(t, m.Subject, "[Brand] Crisis Bad buzz (high)")
				}
				sort.Strings(got)
				require.Equal(t, tt.want, got)
				mu.Lock()
				require.Equal(t, 1, slack[n.Key+"/slack"], "one Slack message per notification")
				mu.Unlock()
			})
		}
	})
}

// TestPublishingHoldBelongsToItsCrisis: a hold lives and dies with its crisis, whatever the
// crisis workflow's pause activity does after the resolve.
func TestPublishingHoldBelongsToItsCrisis(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		f.acts.Crises = st
		ctx := context.Background()
		newCrisis := func(t *testing.T, status string, hold bool) activities.HoldRequest {
			cl := &store.Client{ID: greenlight.NewID("cli_"), Name: "Brand " + status, ApprovalPolicy: "any", CreatedAt: time.Now().UTC()}
			require.NoError(t, st.CreateClient(ctx, cl))
			c := &store.Crisis{ID: greenlight.NewID("crs_"), ClientID: cl.ID, PlaybookKey: "bad-buzz", PlaybookVersion: "v",
				PlaybookTitle: "Bad buzz", Severity: "high", Summary: "s", Status: status, StartedAt: time.Now().UTC()}
			require.NoError(t, st.StartCrisis(ctx, c, hold))
			return activities.HoldRequest{ClientID: cl.ID, CrisisID: c.ID}
		}
		resolve := func(t *testing.T, r activities.HoldRequest) {
			now := time.Now().UTC()
			require.NoError(t, f.acts.RecordCrisis(ctx, activities.CrisisRecord{Crisis: activities.CrisisSnapshot{
				ID: r.CrisisID, ClientID: r.ClientID, Status: "resolved", ResolvedAt: &now, Revision: 1}}))
		}
		held := func(t *testing.T, r activities.HoldRequest) bool {
			h, err := f.acts.PublishingHold(ctx, r.ClientID)
			require.NoError(t, err)
			if h.Held {
				require.Equal(t, r.CrisisID, h.CrisisID)
			}
			return h.Held
		}
		tests := []struct {
			name string
			run  func(t *testing.T) bool // returns whether the client is held at the end
		}{
			{"a crisis that starts frozen holds at once", func(t *testing.T) bool {
				return held(t, newCrisis(t, "active", true))
			}},
			{"resolving releases the hold", func(t *testing.T) bool {
				r := newCrisis(t, "active", false)
				require.NoError(t, f.acts.HoldPublishing(ctx, r))
				require.True(t, held(t, r))
				resolve(t, r)
				return held(t, r)
			}},
			{"a pause still retrying after the resolve holds nothing", func(t *testing.T) bool {
				r := newCrisis(t, "active", false)
				resolve(t, r)
				require.NoError(t, f.acts.HoldPublishing(ctx, r))
				return held(t, r)
			}},
			{"a hold left by a closed crisis is ignored", func(t *testing.T) bool {
				return held(t, newCrisis(t, "resolved", true))
			}},
		}
		want := []bool{true, false, false, false}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				require.Equal(t, want[i], tt.run(t))
			})
		}
	})
}
