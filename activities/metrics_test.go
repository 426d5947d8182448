package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/greenlight/greenlight/activities"
	"github.com/greenlight/greenlight/internal/testdb"
	"github.com/greenlight/greenlight/metrics"
	"github.com/greenlight/greenlight/publish"
	"github.com/greenlight/greenlight/store"
)

type refusingPublisher struct{}

func (refusingPublisher) Publish(context.Context, publish.Publication) (string, error) {
	return "", &publish.Error{Kind: publish.KindPermanent, Network: "x", Message: "refused"}
}

// publications reads greenlight_publications_total{network, result} from a registry.
func publications(t *testing.T, network, result string) float64 {
	t.Helper()
	fams, err := metrics.New().Registry.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != "greenlight_publications_total" {
			continue
		}
		for _, m := range f.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			if got["network"] == network && got["result"] == result {
				return m.Counter.GetValue()
			}
		}
	}
	return 0
}

// TestPublishCountsEachRecordedResult: a publication attempt counts once under its
// network and result (published, or the failure kind); a retry that finds the effect
// done does not count again.
func TestPublishCountsEachRecordedResult(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := setup(t, st)
		ctx := context.Background()
		published, refused := publications(t, "x", "published"), publications(t, "instagram", "permanent")
		req := activities.PublishRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 1, Channel: "x"}
		_, err := f.acts.Publish(ctx, req)
		require.NoError(t, err)
		_, err = f.acts.Publish(ctx, req) // the effect is done: not published again, not counted again
		require.NoError(t, err)
		require.Equal(t, published+1, publications(t, "x", "published"))

		f.acts.Publisher = refusingPublisher{}
		_, err = f.acts.Publish(ctx, activities.PublishRequest{PostID: f.post.ID, ClientID: f.client.ID, Version: 1, Channel: "instagram"})
		require.Error(t, err)
		require.Equal(t, refused+1, publications(t, "instagram", "permanent"))
	})
}
