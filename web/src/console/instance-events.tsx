// An instance's connector events on its card: the settings it was created
// with in Open Connectors' keys (polling every N minutes or the vendor's
// webhooks, the callback, the receiver URL to register at the vendor), and
// the Events dialog: recent events with their delivery status and attempts,
// Redeliver on a dead-lettered one (not for read-only callers).
import { useState } from 'preact/hooks';
import { api, enc, type ApiError } from '../lib/api.js';
import { canWrite } from '../lib/session.js';
import { asApiError, Dialog, ErrorAlert, LoadState, Notice, Table, useLoad } from '../lib/ui.js';

/** The configuration keys the card reads (shared/connectors/events/settings.ts). */
const KEY = {
  enabled: 'event.notification.enabled',
  type: 'event.vendor.type',
  callbackUrl: 'event.notification.callback.url',
  interval: 'event.poller.refresh_interval',
  poller: 'event.poller.configuration',
  webhookUrl: 'event.notification.webhook.url',
} as const;

interface InstanceEvent {
  id: string;
  eventDate: string;
  deliveryStatus: 'none' | 'pending' | 'delivered' | 'dead_lettered';
  attempts: number;
  lastResponseStatus?: number;
  lastError?: string;
  nextAttemptAt?: string;
  events: { eventType: string; objectType: string; objectId: string }[];
}

const STATUS_LABEL: Record<InstanceEvent['deliveryStatus'], string> = { none: 'no callback', pending: 'pending', delivered: 'delivered', dead_lettered: 'dead-lettered' };

export function eventsEnabled(configuration: Record<string, string>): boolean {
  return configuration[KEY.enabled] === 'true';
}

function polledObjects(configuration: Record<string, string>): string[] {
  try {
    return Object.keys(JSON.parse(configuration[KEY.poller] ?? '{}') as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** The event settings as the card shows them. */
export function EventSettings({ configuration }: { configuration: Record<string, string> }) {
  const webhook = configuration[KEY.type] === 'webhook';
  const objects = polledObjects(configuration);
  return (
    <dl class="details event-settings" aria-label="Event settings">
      <dt>Events</dt>
      <dd>{webhook ? "vendor's webhooks" : `polling every ${configuration[KEY.interval] ?? '15'} min${objects.length ? `: ${objects.join(', ')}` : ''}`}</dd>
      {configuration[KEY.callbackUrl] ? (
        <>
          <dt>Callback</dt>
          <dd>
            <code>{configuration[KEY.callbackUrl]}</code>
          </dd>
        </>
      ) : null}
      {configuration[KEY.webhookUrl] ? (
        <>
          <dt>Webhook URL</dt>
          <dd>
            <code data-testid="webhook-url">{configuration[KEY.webhookUrl]}</code>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

/** Recent events of the instance, newest first, with Redeliver on the dead-lettered ones. */
export function EventsDialog({ instance, onClose }: { instance: { id: number; name: string }; onClose: () => void }) {
  const events = useLoad(() => api<InstanceEvent[]>('GET', `/elements/api-v2/instances/${instance.id}/events`), [instance.id]);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const writable = canWrite();
  const redeliver = async (event: InstanceEvent) => {
    setError(undefined);
    try {
      const after = await api<InstanceEvent>('POST', `/elements/api-v2/instances/${instance.id}/events/${enc(event.id)}/redeliver`);
      setNotice(`Event ${event.id}: ${STATUS_LABEL[after.deliveryStatus]}.`);
      events.reload();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  return (
    <Dialog title={`Events of ${instance.name}`} onClose={onClose} wide>
      <LoadState load={events} />
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <ErrorAlert error={error} />
      {events.data && !events.data.length ? <p>No events yet.</p> : null}
      {events.data?.length ? (
        <Table caption={`Events of ${instance.name}`} columns={['Received', 'Changes', 'Delivery', 'Attempts', 'Last answer', '']}>
          {events.data.map((event) => (
            <tr key={event.id} aria-label={`Event ${event.id}`}>
              <td>{new Date(event.eventDate).toLocaleString()}</td>
              <td>{event.events.map((change) => `${change.eventType} ${change.objectType} ${change.objectId}`).join(', ')}</td>
              <td>
                <span class={event.deliveryStatus === 'dead_lettered' ? 'badge warn' : 'badge'}>{STATUS_LABEL[event.deliveryStatus]}</span>
              </td>
              <td>{event.attempts}</td>
              <td>{event.lastResponseStatus ?? event.lastError ?? ''}</td>
              <td>
                {writable && event.deliveryStatus === 'dead_lettered' ? (
                  <button type="button" onClick={() => void redeliver(event)}>
                    Redeliver
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      <div class="actions">
        <button type="button" onClick={events.reload}>
          Refresh
        </button>
        <button type="button" class="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
