using System.Security.Cryptography;

namespace Engine.Cluster;

/// <summary>How an instance names itself.</summary>
internal static class ClusterIdentity
{
    /// <summary>
    /// A random non-zero node id for the hybrid logical clock and the counters. New per process
    /// start on purpose: a restarted instance has lost its in-memory counter entries, and reusing
    /// its old id would let its fresh (smaller) entry lose to the old one in a merge.
    /// </summary>
    public static uint NewNodeId()
    {
        uint id;
        do
        {
            id = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        }
        while (id == 0);
        return id;
    }
}
