using SegaLearn.Serialization;

namespace SegaLearn.Core.Tests.Serialization;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WritesAndReplaces()
    {
        var path = _dir.File("a.bin");
        AtomicFile.Write(path, s => s.Write([1, 2, 3]));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        AtomicFile.Write(path, s => s.Write([4]));
        Assert.Equal([4], File.ReadAllBytes(path));
        Assert.Equal(["a.bin"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void FailureMidwayKeepsTheOldContentAndLeavesNoTemporaryFile()
    {
        var path = _dir.File("model.safetensors");
        File.WriteAllBytes(path, [9, 9, 9]);
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]);
            s.Flush();
            Assert.Single(Directory.GetFiles(_dir.Path, ".model.safetensors.*.tmp"));
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("disk on fire", error.Message);
        Assert.Equal([9, 9, 9], File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void MissingDirectoryIsNamed()
    {
        var path = Path.Combine(_dir.Path, "missing", "x.bin");
        Assert.Equal(
            $"cannot write '{path}': directory '{Path.Combine(_dir.Path, "missing")}' does not exist",
            Assert.Throws<BadInputException>(() => AtomicFile.Write(path, _ => { })).Message);
    }
}
