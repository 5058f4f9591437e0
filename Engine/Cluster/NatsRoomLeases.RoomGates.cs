namespace Engine.Cluster;

/// <summary>Per-room gates: this instance's acquire, renewal and release of one room run one at a time.</summary>
public sealed partial class NatsRoomLeases
{
    /// <summary>
    /// An async lock per room name, kept only while someone holds or waits for it (a use count), so
    /// it holds no state for idle rooms. Operations on different rooms never wait for each other.
    /// </summary>
    private sealed class RoomGates
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);

        /// <summary>Waits for <paramref name="room"/>'s gate; dispose the entry to leave it.</summary>
        public async ValueTask<Entry> EnterAsync(string room, CancellationToken cancellationToken)
        {
            Gate gate;
            lock (_lock)
            {
                if (!_gates.TryGetValue(room, out gate!))
                {
                    gate = new Gate();
                    _gates[room] = gate;
                }

                gate.Users++;
            }

            bool entered = false;
            try
            {
                await gate.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
                entered = true;
                return new Entry(this, room, gate);
            }
            finally
            {
                if (!entered)
                {
                    Leave(room, gate, entered: false);
                }
            }
        }

        private void Leave(string room, Gate gate, bool entered)
        {
            // Release before the count drops: a gate is forgotten only when nobody holds or waits for it.
            if (entered)
            {
                gate.Semaphore.Release();
            }

            lock (_lock)
            {
                if (--gate.Users == 0)
                {
                    _gates.Remove(room);
                    gate.Semaphore.Dispose();
                }
            }
        }

        /// <summary>A held gate.</summary>
        public readonly struct Entry(RoomGates owner, string room, Gate gate) : IDisposable
        {
            public void Dispose() => owner.Leave(room, gate, entered: true);
        }

        /// <summary>One room's semaphore and how many hold or wait for it.</summary>
        public sealed class Gate
        {
            public SemaphoreSlim Semaphore { get; } = new(1, 1);

            /// <summary>Holders and waiters; guarded by <see cref="RoomGates._lock"/>.</summary>
            public int Users { get; set; }
        }
    }
}
