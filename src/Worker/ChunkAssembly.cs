using SegaLearn.Protocol;

namespace SegaLearn.Worker;

/// <summary>Assembles a training-set blob from <see cref="DataChunk"/>s fetched in order, one request at a time.</summary>
public sealed class ChunkAssembly
{
    private readonly byte[] _blob;
    private long _received;

    public ChunkAssembly(long length)
    {
        if (length <= 0 || length > Array.MaxLength)
        {
            throw new InvalidDataException($"a training set of {length} bytes cannot be fetched");
        }

        _blob = new byte[length];
    }

    public bool IsComplete => _received == _blob.Length;

    public byte[] Blob => IsComplete ? _blob : throw new InvalidOperationException($"{_received} of {_blob.Length} bytes received");

    /// <summary>The next request, for the bytes after those received.</summary>
    public DataChunkRequest NextRequest(string jobId, string token) =>
        new(jobId, token, _received, (int)Math.Min(ProtocolInfo.DataChunkBytes, _blob.Length - _received));

    /// <summary>Takes a chunk; it must start where the received bytes end and fit in the blob.</summary>
    public void Add(DataChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (chunk.Offset != _received || chunk.Bytes.Length == 0 || chunk.Offset + chunk.Bytes.Length > _blob.Length)
        {
            throw new InvalidDataException($"data chunk at {chunk.Offset} of {chunk.Bytes.Length} bytes does not follow the {_received} bytes received");
        }

        chunk.Bytes.CopyTo(_blob, _received);
        _received += chunk.Bytes.Length;
    }
}
