namespace Engine.Sessions.Relay;

/// <summary>
/// One direction of a link's reliable numbering (see <see cref="RelayFrame"/>): the sender's next
/// number, and the receiver's check that nothing reliable went missing. Not thread-safe: each side
/// is used by one thread at a time (under the sender's lock, or on the bus's delivery thread).
/// </summary>
internal struct RelaySequence
{
    private uint _last;

    /// <summary>Sender: the number for the next message (reliable: the next one; unreliable: the last reliable one).</summary>
    public uint Next(bool reliable) => reliable ? ++_last : _last;

    /// <summary>Receiver: false when a reliable message before this one was lost.</summary>
    public bool Accept(bool reliable, uint sequence)
    {
        if (reliable)
        {
            if (sequence != _last + 1)
            {
                return false;
            }

            _last = sequence;
            return true;
        }

        // An unreliable message names the last reliable one sent before it: if that is newer than
        // the last one received, a reliable message was lost (the bus keeps one sender's order).
        return sequence == _last;
    }
}
