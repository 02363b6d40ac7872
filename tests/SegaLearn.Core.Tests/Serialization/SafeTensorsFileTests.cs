using System.Buffers.Binary;
using System.Text;
using SegaLearn.Serialization;

namespace SegaLearn.Core.Tests.Serialization;

public sealed class SafeTensorsFileTests
{
    private static byte[] File(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static string Error(byte[] bytes) =>
        Assert.Throws<BadInputException>(() => SafeTensorsFile.Read(new MemoryStream(bytes), "t.safetensors")).Message;

    [Fact]
    public void ReadsWhatItWritesInOrder()
    {
        var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, [new SafeTensor("b", [2, 2], [1, 2, 3, 4]), new SafeTensor("a", [0], []), new SafeTensor("c", [], [5])], [new("k", "v")]);
        stream.Position = 0;
        var content = SafeTensorsFile.Read(stream, "mem");
        Assert.Equal(["b", "a", "c"], content.Tensors.Select(t => t.Name));
        Assert.Equal([1f, 2f, 3f, 4f], content.Find("b")!.Data);
        Assert.Equal([2, 2], content.Find("b")!.Shape);
        Assert.Empty(content.Find("a")!.Data);
        Assert.Equal([5f], content.Find("c")!.Data);
        Assert.Equal("v", content.Metadata["k"]);
    }

    [Fact]
    public void OtherDtypesAreNamed() =>
        Assert.Equal(
            "t.safetensors: tensor 'x' has dtype 'F16'; only F32 is supported",
            Error(File("{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4)));

    [Fact]
    public void HugeHeaderLengthIsRejected()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 200_000_000);
        Assert.Equal("t.safetensors: not a safetensors file (header length 200000000 is over 100 MB)", Error(bytes));
    }

    [Theory]
    [InlineData("[1,2]", 0, "header is not a JSON object")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "data bytes 0 to 4 are not covered")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "data bytes 4 to 8 are not covered")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes as F32, its data_offsets span 8")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated (tensor 'x' ends at byte 8 of the data, which has 4)")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "not [begin,end]")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative integers")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "has no 'data_offsets'")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4, "unexpected or malformed field 'extra'")]
    [InlineData("{\"__metadata__\":{\"a\":1}}", 0, "metadata 'a' is not a string")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "names 'x' twice")]
    [InlineData("{\"__metadata__\":[1]}", 0, "'__metadata__' is not a JSON object")]
    [InlineData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, "metadata names 'a' twice")]
    [InlineData("{\"x\":[1]}", 0, "tensor 'x' is not described by a JSON object")]
    [InlineData("{\"x\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'x' has no 'dtype'")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'x' has no 'shape'")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4, "tensor 'x' has a 'shape' that is not a list of integers")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483648],\"data_offsets\":[0,4]}}", 4, "tensor 'x' has a dimension of 2147483648, too large")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647],\"data_offsets\":[0,4]}}", 4, "needs 8589934588 bytes as F32, its data_offsets span 4")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[65536,32768],\"data_offsets\":[0,4]}}", 4, "tensor 'x' of shape [65536,32768] is too large")]
    public void InconsistentHeadersAreRejected(string header, int dataBytes, string problem)
    {
        var message = Error(File(header, dataBytes));
        Assert.StartsWith("t.safetensors: ", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriterRejectsDuplicates()
    {
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(new MemoryStream(), [new SafeTensor("a", [1], [1]), new SafeTensor("a", [1], [1])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(new MemoryStream(), [], [new("k", "1"), new("k", "2")]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("__metadata__", [1], [1]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("a", [2], [1]));
    }

    [Fact]
    public void Read_should_refuse_an_empty_path_a_missing_file_and_a_stream_it_cannot_seek()
    {
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Read(string.Empty));
        var missing = Path.Combine(Path.GetTempPath(), "segalearn-none-" + Guid.NewGuid().ToString("N") + ".safetensors");
        Assert.Equal($"safetensors file '{missing}' not found", Assert.Throws<BadInputException>(() => SafeTensorsFile.Read(missing)).Message);
        using var unseekable = new System.IO.Compression.GZipStream(new MemoryStream(), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal("stream", Assert.Throws<ArgumentException>(() => SafeTensorsFile.Read(unseekable, "gz")).ParamName);
    }

    [Fact]
    public void Write_should_leave_the_metadata_out_when_there_is_none_and_keep_its_text_unescaped()
    {
        static string HeaderOf(IReadOnlyList<KeyValuePair<string, string>>? metadata)
        {
            var stream = new MemoryStream();
            SafeTensorsFile.Write(stream, [new SafeTensor("w", [1], [1f])], metadata);
            var bytes = stream.ToArray();
            return Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)).TrimEnd(' ');
        }

        Assert.Equal("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", HeaderOf([]));
        Assert.Equal(HeaderOf(null), HeaderOf([]));

        // As the Python writer does (serde_json): HTML-sensitive and non-ASCII characters stay as they are.
        Assert.StartsWith("{\"__metadata__\":{\"note\":\"<a&b> 'é' +1\"},", HeaderOf([new("note", "<a&b> 'é' +1")]), StringComparison.Ordinal);
    }

    [Fact]
    public void SafeTensor_should_refuse_an_empty_name_a_negative_dimension_and_a_shape_too_large()
    {
        Assert.Throws<ArgumentException>(() => new SafeTensor(string.Empty, [1], [1f]));
        Assert.Equal(
            "tensor 'w' has a negative dimension in [2,-1] (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => new SafeTensor("w", [2, -1], [])).Message);
        Assert.Equal(
            "tensor 'w' of shape [65536,32768] is too large (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => new SafeTensor("w", [65536, 32768], [])).Message);
        Assert.Equal(
            "tensor 'w' of shape [2147483647] needs 2147483647 values, got 0 (Parameter 'data')",
            Assert.Throws<ArgumentException>(() => new SafeTensor("w", [int.MaxValue], [])).Message);
    }
}
