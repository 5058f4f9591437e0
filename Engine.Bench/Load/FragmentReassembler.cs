using System.Buffers.Binary;
using System.Diagnostics;
using Engine.Transport.WebTransport;

namespace Engine.Bench.Load;

/// <summary>
/// Reassembles kind-1 datagrams (fragments) into messages by the rules of
/// docs/protocol.md ("WebTransport"): at most 4 incomplete messages (a 5th evicts the one that started
/// first), duplicates ignored, out-of-range or disagreeing fragments dropped, incomplete messages
/// older than 1 s dropped. Allocation-free once its buffers have grown: every fragment but the
/// last is full-size, so each lands at <c>index × slice</c> of one buffer per slot.
/// </summary>
internal sealed class FragmentReassembler
{
    private const int Slots = 4;
    private static readonly long MaxAge = Stopwatch.Frequency; // 1 s

    private readonly Slot[] _slots = [new(), new(), new(), new()];

    /// <summary>Messages given up incomplete (evicted or too old).</summary>
    public long Incomplete { get; private set; }

    /// <summary>
    /// Takes one fragment datagram (kind byte first); returns the whole message when it completes one
    /// (valid until the next call), otherwise an empty span.
    /// </summary>
    public ReadOnlySpan<byte> Add(ReadOnlySpan<byte> datagram, long now)
    {
        if (!MessageDatagrams.TryReadFragment(datagram, out ushort id, out int index, out int count, out ReadOnlySpan<byte> slice))
        {
            return default;
        }

        Slot? slot = Find(id, now);
        if (slot is null)
        {
            slot = Free();
            slot.Begin(id, count, now);
        }
        else if (slot.Count != count)
        {
            return default;
        }

        if (!slot.Put(index, slice))
        {
            return default;
        }

        return slot.Complete ? slot.Finish() : default;
    }

    private Slot? Find(ushort id, long now)
    {
        Slot? found = null;
        foreach (Slot s in _slots)
        {
            if (s.InUse && now - s.StartedAt > MaxAge)
            {
                s.InUse = false;
                Incomplete++;
            }
            else if (s.InUse && s.Id == id)
            {
                found = s;
            }
        }

        return found;
    }

    private Slot Free()
    {
        Slot oldest = _slots[0];
        foreach (Slot s in _slots)
        {
            if (!s.InUse)
            {
                return s;
            }

            if (s.StartedAt < oldest.StartedAt)
            {
                oldest = s;
            }
        }

        Incomplete++;
        oldest.InUse = false;
        return oldest;
    }

    private sealed class Slot
    {
        private byte[] _data = new byte[4096];
        private byte[] _last = new byte[2048];
        private int _lastLength;
        private int _slice;
        private ulong _received;

        public bool InUse { get; set; }

        public ushort Id { get; private set; }

        public int Count { get; private set; }

        public long StartedAt { get; private set; }

        public bool Complete => _received == (Count == 64 ? ulong.MaxValue : (1UL << Count) - 1);

        public void Begin(ushort id, int count, long now)
        {
            InUse = true;
            Id = id;
            Count = count;
            StartedAt = now;
            _slice = 0;
            _received = 0;
        }

        /// <summary>Stores fragment <paramref name="index"/>; false for a duplicate or a slice that disagrees with the others.</summary>
        public bool Put(int index, ReadOnlySpan<byte> slice)
        {
            ulong bit = 1UL << index;
            if ((_received & bit) != 0)
            {
                return false;
            }

            if (index == Count - 1)
            {
                EnsureCapacity(ref _last, slice.Length);
                slice.CopyTo(_last);
                _lastLength = slice.Length;
            }
            else
            {
                if (_slice != 0 && slice.Length != _slice)
                {
                    return false;
                }

                _slice = slice.Length;
                EnsureCapacity(ref _data, Count * _slice);
                slice.CopyTo(_data.AsSpan(index * _slice));
            }

            _received |= bit;
            return true;
        }

        public ReadOnlySpan<byte> Finish()
        {
            InUse = false;
            int start = (Count - 1) * _slice;
            EnsureCapacity(ref _data, start + _lastLength);
            _last.AsSpan(0, _lastLength).CopyTo(_data.AsSpan(start));
            return _data.AsSpan(0, start + _lastLength);
        }

        private static void EnsureCapacity(ref byte[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                Array.Resize(ref buffer, Math.Max(length, buffer.Length * 2));
            }
        }
    }
}
