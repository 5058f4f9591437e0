using System.Threading.Channels;
using Engine.Cluster;
using Engine.Telemetry;

namespace Engine.Rooms;

/// <summary>
/// Room events in the durable store (JetStream, when clustered). Every event is delivered to the
/// members at once, as without a store, and also queued here; one task per room appends them in
/// order, retrying while the store is away, so local play goes on during a NATS outage and the
/// backlog flows when it is back. The queue holds <see cref="DurableQueueCapacity"/> events; past
/// that the oldest waiting event is dropped (counted and logged): it stays in the replay ring, but
/// the store gets a gap and a reader from before it resyncs instead of replaying.
/// </summary>
internal sealed partial class RoomHost
{
    /// <summary>Events that may wait for the durable store.</summary>
    internal const int DurableQueueCapacity = 4096;

    private IRoomEventStore? _store;
    private Channel<RoomEvent>? _toStore;
    private Task _storing = Task.CompletedTask;
    private long _notStored;

    /// <summary>Events stored durably so far (a diagnostic).</summary>
    internal long StoredEvents { get; private set; }

    /// <summary>Events dropped from the durable queue because it was full.</summary>
    internal long NotStoredEvents => Interlocked.Read(ref _notStored);

    /// <summary>
    /// Makes the room durable: events go to <paramref name="store"/> as well, numbered after
    /// <paramref name="lastStoredSequence"/> (what an earlier life of the room left there). Before <see cref="Start"/>.
    /// </summary>
    internal void UseStore(IRoomEventStore store, long lastStoredSequence)
    {
        _store = store;
        _events.StartAfter(lastStoredSequence);
        _toStore = Channel.CreateBounded<RoomEvent>(
            new BoundedChannelOptions(DurableQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
            dropped =>
            {
                Interlocked.Increment(ref _notStored);
                Log.EventNotStored(Logger, Name, dropped.Sequence);
            });
        _storing = Task.Run(StoreEventsAsync);
    }

    private void EnqueueDurable(RoomEvent e) => _toStore?.Writer.TryWrite(e);

    private async Task StoreEventsAsync()
    {
        ChannelReader<RoomEvent> reader = _toStore!.Reader;
        TimeSpan backoff = TimeSpan.FromMilliseconds(200);
        bool waiting = false;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryPeek(out RoomEvent? e))
            {
                if (_abandoned)
                {
                    while (reader.TryRead(out RoomEvent? dropped))
                    {
                        Interlocked.Increment(ref _notStored);
                        Log.EventNotStored(Logger, Name, dropped.Sequence);
                    }

                    return;
                }

                try
                {
                    await _store!.AppendAsync(Name, e.Sequence, e.Binary).ConfigureAwait(false);
                    StoredEvents++;
                    reader.TryRead(out _);
                    if (waiting)
                    {
                        waiting = false;
                        Log.EventsStoring(Logger, Name, "resumed");
                    }
                }
                catch (RoomEventConflictException exception)
                {
                    // Another instance numbers this room's events: nothing more may be stored from here.
                    Log.EventStoreConflict(Logger, Name, exception.Message);
                    _abandoned = true;
                    StoreConflicted?.Invoke(this);
                }
                catch (ClusterUnavailableException exception)
                {
                    if (!waiting)
                    {
                        waiting = true;
                        Log.EventsStoring(Logger, Name, "waiting: " + exception.Message);
                    }

                    if (_stop.IsCancellationRequested && _storeGiveUp.IsCancellationRequested)
                    {
                        return; // disposing, and the store stayed away past the grace
                    }

                    await Task.Delay(backoff).ConfigureAwait(false);
                }
            }
        }
    }

    private readonly CancellationTokenSource _storeGiveUp = new();

    /// <summary>
    /// The room lost its lease: another instance numbers its events from what the store held. Events
    /// still waiting here would be stored under numbers the new owner uses too (and one of the two
    /// would be dropped as a duplicate), so they are given up, counted and logged; the one append in
    /// flight may still land.
    /// </summary>
    internal void AbandonDurableBacklog()
    {
        _abandoned = true;
        _storeGiveUp.Cancel();
        _toStore?.Writer.TryComplete();
    }

    private volatile bool _abandoned;

    /// <summary>Raised (on the storing task) when the store holds another event under one of this room's numbers.</summary>
    internal Action<RoomHost>? StoreConflicted { get; set; }

    /// <summary>On dispose: lets the queue drain into the store for a while, then gives up.</summary>
    private async Task FinishStoringAsync()
    {
        if (_toStore is null)
        {
            return;
        }

        _toStore.Writer.TryComplete();
        _storeGiveUp.CancelAfter(TimeSpan.FromSeconds(10));
        await _storing.WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
    }
}
