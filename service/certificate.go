package service

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/greenlight/greenlight"
	"github.com/greenlight/greenlight/brand"
	"github.com/greenlight/greenlight/certificate"
	"github.com/greenlight/greenlight/store"
)

// maxEmbeddedImage bounds the bytes of one image read into a certificate.
const maxEmbeddedImage = 20 << 20

// Certificate returns the proof of approval of a post: the approved version (the last one
// scheduled) with its media and digest, every decision on it, and its publication per
// channel. A post never approved is ECONFLICT.
func (s *Service) Certificate(ctx context.Context, actor *store.User, postID string) (*certificate.Certificate, error) {
	p, err := s.loadPost(ctx, actor, ActCertificate, postID)
	if err != nil {
		return nil, err
	}
	client, err := s.Store.Client(ctx, p.ClientID)
	if err != nil {
		return nil, err
	}
	return s.certificate(ctx, p.ID, client, clientZone(client))
}

// clientZone is the zone a client reads times in: its time_zone setting (UTC by default).
func clientZone(c *store.Client) *time.Location { return brand.Of(c).Zone }

// certificate builds the certificate of a post of client, local times in loc.
func (s *Service) certificate(ctx context.Context, postID string, client *store.Client, loc *time.Location) (*certificate.Certificate, error) {
	d, err := s.Store.PostDetail(ctx, postID)
	if err != nil {
		return nil, err
	}
	approved := 0
	for _, e := range d.Events {
		if e.Action == "scheduled" {
			approved = e.Version // the last scheduling names the version that was published or will be
		}
	}
	if approved == 0 {
		return nil, greenlight.Errorf(greenlight.ECONFLICT, "post %s was never approved: a certificate exists once a version is approved and scheduled (status now: %s)", d.ID, d.Status)
	}
	ver, err := s.Store.PostVersion(ctx, d.ID, approved)
	if err != nil {
		return nil, err
	}
	c := &certificate.Certificate{
		GeneratedAt: s.now(), TimeZone: certificate.ZoneName(loc), Agency: s.Agency,
		Client: certificate.Client{ID: client.ID, Name: client.Name},
		Post:   certificate.Post{ID: d.ID, Status: d.Status, PublishAt: d.PublishAt.UTC(), PublishedAt: d.PublishedAt},
		Version: certificate.Version{
			Number: ver.Version, Title: ver.Title, Body: ver.Body, Channels: ver.Channels, MediaURLs: ver.MediaURLs,
			Digest: ver.Digest, CreatedAt: ver.CreatedAt.UTC(), Media: []certificate.Media{},
		},
		Decisions: []certificate.Decision{}, Channels: []certificate.Channel{},
	}
	if c.Version.Digest == "" { // versions saved before digests were kept
		c.Version.Digest = greenlight.Content{Title: ver.Title, Body: ver.Body, Channels: ver.Channels, MediaURLs: ver.MediaURLs, Media: ver.Media}.Digest()
	}
	for _, m := range ver.Media {
		c.Version.Media = append(c.Version.Media, certificate.Media{ID: m.ID, SHA256: m.SHA256, ContentType: m.ContentType, Alt: m.Alt, Image: s.embeddable(m)})
	}
	for _, dec := range d.Decisions {
		if dec.Version != approved {
			continue
		}
		cd, err := s.certificateDecision(ctx, d.ID, dec, loc)
		if err != nil {
			return nil, err
		}
		c.Decisions = append(c.Decisions, cd)
	}
	chans, err := s.Store.PostChannels(ctx, d.ID, approved)
	if err != nil {
		return nil, err
	}
	for _, ch := range chans {
		c.Channels = append(c.Channels, certificate.Channel{Channel: ch.Channel, Status: ch.Status, URL: ch.URL, RemoteID: ch.RemoteID, Error: ch.Error, UpdatedAt: ch.UpdatedAt.UTC()})
	}
	if len(c.Channels) == 0 {
		c.ChannelsNote = certificate.NoChannels
	}
	return c, nil
}

// certificateDecision describes one decision: the staff member's role, or for a client
// the link it came through.
func (s *Service) certificateDecision(ctx context.Context, postID string, dec store.PostDecision, loc *time.Location) (certificate.Decision, error) {
	cd := certificate.Decision{
		Stage: dec.Stage, ActorID: dec.ActorID, ActorName: dec.ActorName, Decision: dec.Decision, Comment: dec.Comment,
		At: dec.At.UTC(), AtUTC: certificate.UTC(dec.At), AtLocal: certificate.Local(dec.At, loc),
	}
	switch dec.ActorKind {
	case "user":
		cd.Role = "staff"
		if u, err := s.Store.UserByID(ctx, dec.ActorID); err == nil {
			cd.Role = u.Role
		} else if !greenlight.IsCode(err, greenlight.ENOTFOUND) {
			return cd, err
		}
	case "approver":
		cd.Role = "client approver"
		links, err := s.Store.DecisionLinks(ctx, "post", postID, dec.Version, dec.ActorID)
		if err != nil {
			return cd, err
		}
		switch {
		case len(links) == 0:
			cd.LinkNote = "the link record is no longer kept (links are deleted after their retention period)"
		case links[0].DecidedAt != nil || len(links) == 1:
			cd.LinkID = links[0].ID
		default:
			ids := make([]string, len(links))
			for i, l := range links {
				ids[i] = l.ID
			}
			cd.LinkNote = "one of " + strings.Join(ids, ", ") + " (made before the deciding link was recorded)"
		}
	default:
		cd.Role = dec.ActorKind
	}
	return cd, nil
}

// embeddable returns the bytes of a JPEG or PNG media file to embed, nil for other types
// or when the library does not have it.
func (s *Service) embeddable(m greenlight.MediaRef) []byte {
	if s.Library == nil || (m.ContentType != "image/jpeg" && m.ContentType != "image/png") {
		return nil
	}
	f, err := s.Library.Open(m.SHA256)
	if err != nil {
		s.Log.Warn("certificate media", "media", m.ID, "error", err)
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEmbeddedImage+1))
	if err != nil || len(b) > maxEmbeddedImage {
		s.Log.Warn("certificate media", "media", m.ID, "error", fmt.Sprint(err), "bytes", len(b))
		return nil
	}
	return b
}
