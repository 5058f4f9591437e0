using Engine.Cluster;

namespace Engine.Rooms;

/// <summary>
/// Seats recorded outside this instance (clustered rooms): every join and leave hands the room's seat
/// list to the <see cref="ISeatRecords"/>, so a player can resume on another instance, and a new owner
/// (after a failover) restores the seats and holds them for the reconnect grace.
/// </summary>
internal sealed partial class RoomHost
{
    private ISeatRecords? _seats;

    /// <summary>Records this room's seats in <paramref name="seats"/> from now on. Before <see cref="Start"/>.</summary>
    internal void UseSeatRecords(ISeatRecords seats) => _seats = seats;

    /// <summary>
    /// Seats the players of the room's earlier life (read from the records) as held, each waiting for
    /// its player to resume within the reconnect grace; those who do not come back leave as usual, so
    /// everyone else learns it. No Joined event: they are members already, as far as the events go.
    /// The game's <see cref="Room.OnJoin"/> runs for each (the game state starts afresh here). Before <see cref="Start"/>.
    /// </summary>
    internal void RestoreSeats(IReadOnlyList<SeatRecord> seats, long lastStoredSequence)
    {
        if (seats.Count == 0 || _options.ReconnectGrace <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            long heldUntil = Time.GetTimestamp() + (long)(_options.ReconnectGrace.TotalSeconds * Time.TimestampFrequency);
            foreach (SeatRecord seat in seats)
            {
                if (_players.Count >= _options.RoomCapacity || _players.ContainsKey(seat.PlayerId))
                {
                    continue;
                }

                var player = new Player(seat.PlayerId, seat.Name) { Seat = seat, RestoredAfter = lastStoredSequence, HeldUntil = heldUntil };
                player.ResetSnapshots();
                _players.Add(player.Id, player);
                player.IsSeated = true;
                _metrics.Players.Add(1);
                Guard("OnJoin", () => _room.OnJoin(player));
            }

            BroadcastPresence();
            RecordSeatsLocked();
            SeatLog.Restored(Logger, Name, _players.Count, lastStoredSequence);
        }
    }

    /// <summary>The room moved to another instance: its seats are that instance's to record now.</summary>
    internal void StopRecordingSeats()
    {
        lock (_gate)
        {
            _seats = null;
        }
    }

    /// <summary>The seated player whose session's token hashes to <paramref name="tokenHash"/>, if any.</summary>
    internal Player? FindSeat(string tokenHash)
    {
        lock (_gate)
        {
            foreach (Player player in _players.Values)
            {
                if (player.Seat?.TokenHash == tokenHash)
                {
                    return player;
                }
            }

            return null;
        }
    }

    /// <summary>Hands the current seat list to the records (they write it in the background).</summary>
    private void RecordSeatsLocked()
    {
        if (_seats is null || _closed)
        {
            return;
        }

        var seats = new List<SeatRecord>(_players.Count);
        foreach (Player player in _players.Values)
        {
            if (player.Seat is { } seat)
            {
                seats.Add(seat);
            }
        }

        _seats.Update(Name, [.. seats]);
    }
}
