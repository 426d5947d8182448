package activities

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

// KeepFreshInput is the KeepAccountsFresh activity's input.
type KeepFreshInput struct {
	// Ahead: credentials expiring within it are refreshed now.
	Ahead time.Duration
}

// KeepFreshResult counts what one run did.
type KeepFreshResult struct {
	Checked        int // active accounts looked at
	NeedsReconnect int // accounts whose refresh was refused or whose access ran out
	Reminded       int // accounts whose editors were reminded of the reconnect-by date
	Failed         int // accounts the network did not answer for (tried again next run)
}

// KeepAccountsFresh looks after every client's active accounts so that one nobody
// publishes to for weeks still works on the day a post goes out. For an account whose
// connector is a publish.TokenRefresher it calls KeepFresh (one refresh at a time per
// account: publish.Account.Refresh holds the account's row lock) and records the
// reconnect-by date it returns; a refused refresh makes the account needs_reconnect and
// emails the client's editors once per episode (reconnectNotice). An account whose
// reconnect-by date is within store.ReconnectReminderAhead gets its editors emailed once
// per date; one whose date has passed needs reconnecting. A network that does not answer
// is counted and tried again at the next run; the run fails only on store errors.
func (a *Activities) KeepAccountsFresh(ctx context.Context, in KeepFreshInput) (KeepFreshResult, error) {
	var res KeepFreshResult
	var refreshing []string
	for network, conn := range a.Connectors {
		if _, ok := conn.(publish.TokenRefresher); ok {
			refreshing = append(refreshing, network)
		}
	}
	slices.Sort(refreshing)
	after := ""
	for {
		page, err := a.Store.ActiveAccountsToWatch(ctx, refreshing, after, 100)
		if err != nil {
			return res, err
		}
		for i := range page {
			acct := &page[i]
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx, acct.ID)
			}
			res.Checked++
			if err := a.keepFresh(ctx, acct, in.Ahead, &res); err != nil {
				return res, err
			}
		}
		if len(page) < 100 {
			return res, nil
		}
		after = page[len(page)-1].ID
	}
}

// keepFresh looks after one account (see KeepAccountsFresh).
func (a *Activities) keepFresh(ctx context.Context, acct *store.Account, ahead time.Duration, res *KeepFreshResult) error {
	if r, ok := a.Connectors[acct.Network].(publish.TokenRefresher); ok && a.Secrets != nil {
		creds, err := a.Secrets.Open(acct.Credentials, []byte(acct.ID))
		if err != nil {
			a.log().Warn("account credentials do not open", "account", acct.ID, "error", err)
			res.Failed++
			return nil
		}
		id := acct.ID
		by, err := r.KeepFresh(ctx, publish.Account{
			ID: acct.ID, ClientID: acct.ClientID, Network: acct.Network, Handle: acct.Handle, ServiceURL: acct.ServiceURL,
			Credentials: creds,
			Save: func(ctx context.Context, credentials []byte) error {
				return a.Store.SaveAccountSession(ctx, id, a.Secrets.Seal(credentials, []byte(id)))
			},
			Refresh: publish.AccountRefresher(a.Store, a.Secrets, id),
		}, ahead)
		switch {
		case publish.KindOf(err) == publish.KindAuth:
			res.NeedsReconnect++
			return a.reconnectNotice(ctx, acct, errorText(err))
		case err != nil:
			if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
				return nil // removed meanwhile
			}
			a.log().Warn("account refresh failed; next run retries", "account", acct.ID, "network", acct.Network, "error", err)
			res.Failed++
			return nil
		case !by.IsZero() && (acct.ReconnectBy == nil || !acct.ReconnectBy.Equal(by)):
			by = by.UTC()
			if err := a.Store.SetAccountReconnectBy(ctx, acct.ID, &by); err != nil {
				if greenlight.ErrorCode(err) == greenlight.ENOTFOUND {
					return nil
				}
				return err
			}
			acct.ReconnectBy = &by
		}
	}
	if acct.ReconnectBy == nil {
		return nil
	}
	by := acct.ReconnectBy.UTC()
	now := time.Now()
	switch {
	case !by.After(now):
		res.NeedsReconnect++
		return a.reconnectNotice(ctx, acct, fmt.Sprintf("the authorization ran out on %s", by.Format("2 January 2006")))
	case by.Sub(now) <= store.ReconnectReminderAhead:
		res.Reminded++
		return a.reconnectReminder(ctx, acct, by)
	}
	return nil
}

// reconnectReminder emails the client's editors that acct must be reconnected by by, once
// per account and date: the effect key names both, so a later date (after a
// reconnection) reminds again.
func (a *Activities) reconnectReminder(ctx context.Context, acct *store.Account, by time.Time) error {
	client, err := a.Store.Client(ctx, acct.ClientID)
	if err != nil {
		return err
	}
	return a.emailAccountEditors(ctx, acct, fmt.Sprintf("reconnect-by/%d", by.Unix()),
		fmt.Sprintf("[%s] Reconnect the %s account %s before %s", client.Name, acct.Network, acct.Handle, by.Format("2 January")),
		fmt.Sprintf("%s's access to %s's account %s ends on %s (UTC) and cannot be renewed automatically. Connect the account again from its accounts page before then, or posts to it will fail.",
			acct.Network, client.Name, acct.Handle, by.Format("2 January 2006 15:04")),
		a.BaseURL+"/clients/"+acct.ClientID+"/accounts")
}

func (a *Activities) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
