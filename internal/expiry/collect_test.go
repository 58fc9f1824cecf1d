package expiry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// answer is a list function that gives list and err.
func answer[T any](list []T, err error) func(context.Context) ([]T, error) {
	return func(context.Context) ([]T, error) { return list, err }
}

func TestCollectorFilters(t *testing.T) {
	certs := CertificateListerFunc(answer([]Certificate{
		{ID: "1", Type: "DISTRIBUTION", Name: "dist", ExpirationDate: days(3)},
		{ID: "2", Type: "IOS_DEVELOPMENT", Name: "dev", ExpirationDate: days(3)},
		{ID: "3", Type: "IOS_DISTRIBUTION", Name: "old dist", ExpirationDate: days(3)},
	}, nil))
	profs := ProfileListerFunc(answer([]Profile{
		{ID: "a", Name: "MyApp App Store", Type: "IOS_APP_STORE", ExpirationDate: days(3)},
		{ID: "b", Name: "MyApp Ad Hoc", Type: "IOS_APP_ADHOC", ExpirationDate: days(3)},
		{ID: "c", Name: "Other App Store", Type: "IOS_APP_STORE", ExpirationDate: days(3)},
	}, nil))
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"everything", Filter{}, []string{"1", "2", "3", "a", "b", "c"}},
		{"cert types", Filter{CertificateTypes: []string{"distribution", "IOS_DISTRIBUTION"}}, []string{"1", "3", "a", "b", "c"}},
		{"profile type", Filter{ProfileTypes: []string{"IOS_APP_STORE"}}, []string{"1", "2", "3", "a", "c"}},
		{"profile name", Filter{ProfileName: "myapp"}, []string{"1", "2", "3", "a", "b"}},
		{"type and name", Filter{ProfileTypes: []string{"ios_app_store"}, ProfileName: "MyApp"}, []string{"1", "2", "3", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notes []string
			notef := func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }
			items, err := Collector{Certificates: certs, Profiles: profs, Filter: tt.filter, Notef: notef}.Collect(context.Background())
			if len(notes) != 0 {
				t.Errorf("notes for filters that match: %q", notes)
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCollectorNotesUnmatchedFilters(t *testing.T) {
	certs := CertificateListerFunc(answer([]Certificate{{ID: "1", Type: "DISTRIBUTION", ExpirationDate: days(3)}}, nil))
	profs := ProfileListerFunc(answer([]Profile{{ID: "a", Name: "MyApp", Type: "IOS_APP_STORE", ExpirationDate: days(3)}}, nil))
	var notes []string
	f := Filter{CertificateTypes: []string{"DISTRIBUTON", "distribution"}, ProfileTypes: []string{"IOS_APP_STROE"}, ProfileName: "other"}
	items, err := Collector{Certificates: certs, Profiles: profs, Filter: f, Notef: func(format string, a ...any) {
		notes = append(notes, fmt.Sprintf(format, a...))
	}}.Collect(context.Background())
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v, err %v", items, err)
	}
	want := []string{"certificate-types: no certificate of type DISTRIBUTON", "profile-types: no profile of type IOS_APP_STROE", "profile-name: no profile name contains \"other\""}
	if len(notes) != len(want) {
		t.Fatalf("notes %q", notes)
	}
	for i, w := range want {
		if !strings.HasPrefix(notes[i], w) {
			t.Errorf("note %q, want it to start %q", notes[i], w)
		}
	}
}

func TestCollectorErrorsContinue(t *testing.T) {
	certs := CertificateListerFunc(answer[Certificate](nil, fmt.Errorf("403 FORBIDDEN: %w", ErrIndividualKey)))
	profs := ProfileListerFunc(answer[Profile](nil, errors.New("connection reset")))
	items, err := Collector{Certificates: certs, Profiles: profs}.Collect(context.Background())
	if !errors.Is(err, ErrIndividualKey) {
		t.Errorf("joined error %v does not wrap ErrIndividualKey", err)
	}
	items = append(items, APIKeyItem(KeyCheck{KeyID: "K", Authenticated: true}))
	if len(items) != 3 {
		t.Fatalf("items %+v", items)
	}
	if items[0].Status != StatusError || !strings.Contains(items[0].Detail, "team key") {
		t.Errorf("individual key item: %+v", items[0])
	}
	if items[1].Status != StatusError || !strings.Contains(items[1].Detail, "connection reset") {
		t.Errorf("profiles item: %+v", items[1])
	}
	r := NewReport(items, DefaultThresholds(), now)
	if !r.ShouldFail() || !strings.HasPrefix(r.Headline(), "Expiry audit incomplete: certificates could not be listed: this is an individual API key") {
		t.Errorf("lists that failed must make the audit incomplete and fail it: %q", r.Headline())
	}
	r.AllowIncomplete = true
	if r.ShouldFail() {
		t.Error("AllowIncomplete: lists that failed must not fail the audit")
	}
}

func TestAPIKeyItem(t *testing.T) {
	tests := []struct {
		check KeyCheck
		want  Status
	}{
		{KeyCheck{KeyID: "K", Authenticated: true}, StatusOK},
		{KeyCheck{KeyID: "K"}, StatusExpired},
		{KeyCheck{KeyID: "K", Err: errors.New("timeout")}, StatusError},
	}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			it := DefaultThresholds().Classify(APIKeyItem(tt.check), now)
			if it.Status != tt.want {
				t.Errorf("status %s, want %s", it.Status, tt.want)
			}
			if got := NewReport([]Item{it}, DefaultThresholds(), now).ShouldFail(); got != (tt.want != StatusOK) {
				t.Errorf("ShouldFail %v", got)
			}
		})
	}
}
