using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private static readonly byte[] Pixels = [0, 10, 20, 30, 40, 50, 255, 128, 1, 2, 3, 4];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, "labels")]
    [InlineData(true, "labels.gz")]
    [InlineData(true, "labels-without-extension")]
    public void IdxReader_should_read_labels_raw_or_gzipped(bool gzip, string name)
    {
        var bytes = IdxFiles.Labels(3, 1, 4, 1, 5, 9);
        var path = _dir.WriteBytes(name, gzip ? IdxFiles.Gzip(bytes) : bytes);

        var labels = IdxReader.ReadLabels(path);

        Assert.Equal(new byte[] { 3, 1, 4, 1, 5, 9 }, labels);
    }

    [Theory]
    [InlineData(false, "images")]
    [InlineData(true, "images.gz")]
    [InlineData(true, "images.idx")]
    public void IdxReader_should_read_images_raw_or_gzipped_as_scaled_bytes(bool gzip, string name)
    {
        var bytes = IdxFiles.Images(count: 3, rows: 2, columns: 2, Pixels);
        var path = _dir.WriteBytes(name, gzip ? IdxFiles.Gzip(bytes) : bytes);

        var images = IdxReader.ReadImages(path, scale: 1f / 255f);

        Assert.Equal(3, images.Rows);
        Assert.Equal(4, images.Columns);
        Assert.Equal(Pixels, images.Values.ToArray());
        var row = new float[4];
        images.GatherRows([1], row);
        var s = 1f / 255f; // gathered values are bytes * scale
        Assert.Equal(new[] { 40 * s, 50 * s, 255 * s, 128 * s }, row);
    }

    [Fact]
    public void IdxReader_should_reject_a_wrong_magic_number()
    {
        var path = _dir.WriteBytes("images", IdxFiles.Images(3, 2, 2, Pixels));

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: wrong magic number 0x00000803, expected 0x00000801 (an IDX label file)", error.Message);
    }

    [Fact]
    public void IdxReader_should_reject_a_file_that_is_not_IDX()
    {
        var path = _dir.WriteText("readme.txt", "hello, world");

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: wrong magic number 0x68656C6C, expected 0x00000803 (an IDX image file)", error.Message);
    }

    [Fact]
    public void IdxReader_should_reject_an_unsupported_data_type()
    {
        var path = _dir.WriteBytes("floats", IdxFiles.Build(0x00000D01, [2], new byte[8]));

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: unsupported IDX data type 0x0D (only unsigned bytes, 0x08, are supported)", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxReader_should_reject_truncated_label_data(bool gzip)
    {
        var bytes = IdxFiles.Build(0x00000801, [5], [1, 2, 3]);
        var path = _dir.WriteBytes("labels", gzip ? IdxFiles.Gzip(bytes) : bytes);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal(
            $"{path}: truncated data: the header says 5 items of 1 bytes (5 bytes), the file has 3",
            error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxReader_should_reject_truncated_image_data(bool gzip)
    {
        var bytes = IdxFiles.Build(0x00000803, [4, 2, 2], Pixels);
        var path = _dir.WriteBytes("images", gzip ? IdxFiles.Gzip(bytes) : bytes);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadImages(path));

        Assert.Equal(
            $"{path}: truncated data: the header says 4 items of 4 bytes (16 bytes), the file has 12",
            error.Message);
    }

    [Fact]
    public void IdxReader_should_reject_a_truncated_header()
    {
        var path = _dir.WriteBytes("images", [0, 0, 8, 3, 0, 0, 0, 1]);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: truncated IDX header", error.Message);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x1f })]
    [InlineData(new byte[] { 0, 0, 8 })]
    public void IdxReader_should_call_a_file_shorter_than_the_magic_number_a_truncated_header(byte[] bytes)
    {
        var path = _dir.WriteBytes("short", bytes);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: truncated IDX header (expected an IDX label file)", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x1f, 0, 8, 1, 0, 0, 0, 0 }, "0x1F000801")]
    [InlineData(new byte[] { 0, 0x8b, 8, 1, 0, 0, 0, 0 }, "0x008B0801")]
    [InlineData(new byte[] { 0, 1, 13, 1, 0, 0, 0, 0 }, "0x00010D01")]
    public void IdxReader_should_read_a_file_with_only_one_gzip_magic_byte_as_raw_and_check_its_magic_number_first(byte[] bytes, string magic)
    {
        var path = _dir.WriteBytes("labels", bytes);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: wrong magic number {magic}, expected 0x00000801 (an IDX label file)", error.Message);
    }

    [Fact]
    public void IdxReader_should_report_corrupt_gzip_data()
    {
        var gzip = IdxFiles.Gzip(IdxFiles.Labels(1, 2, 3));
        gzip[10] = 0xff; // the first deflate block header: final, of the reserved type 11
        var path = _dir.WriteBytes("labels.gz", gzip);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.StartsWith($"{path}: corrupt gzip data (", error.Message);
    }

    [Fact]
    public void IdxReader_should_read_gzip_files_much_smaller_than_their_content()
    {
        var labels = new byte[20_000];
        labels[^1] = 7;
        var path = _dir.WriteBytes("labels.gz", IdxFiles.Gzip(IdxFiles.Labels(labels)));
        Assert.True(new FileInfo(path).Length < labels.Length / 10);

        Assert.Equal(labels, IdxReader.ReadLabels(path));
    }

    [Theory]
    [InlineData(0x80000000u, "dimension 0 has an impossible size 2147483648")]
    [InlineData(0x7fffffffu, "the header's sizes (2147483647) are too large")]
    [InlineData(0x7fffffc7u, "truncated data: the header says 2147483591 items of 1 bytes (2147483591 bytes), the file has 2")]
    public void IdxReader_should_check_the_header_sizes_against_the_largest_array_and_the_file(uint size, string problem)
    {
        var bytes = new byte[10];
        bytes[2] = 8;
        bytes[3] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), size);
        var path = _dir.WriteBytes("labels", bytes);

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: {problem}", error.Message);
    }

    [Fact]
    public void IdxReader_should_read_the_items_the_header_counts_and_ignore_bytes_after_them()
    {
        var path = _dir.WriteBytes("labels", [.. IdxFiles.Labels(4, 5), 0xee]);

        Assert.Equal(new byte[] { 4, 5 }, IdxReader.ReadLabels(path));
    }

    [Fact]
    public void IdxReader_should_report_a_missing_file()
    {
        var path = Path.Combine(_dir.Path, "nothing");

        var error = Assert.Throws<BadInputException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: file not found", error.Message);
    }

    [Fact]
    public void FashionMnist_should_load_the_four_IDX_files_raw_or_gzipped_as_an_official_split()
    {
        WriteFashionMnist(_dir.Path);

        var split = FashionMnist.Load(_dir.Path);

        Assert.Equal(3, split.Train.Rows);
        Assert.Equal(2, split.Test.Rows);
        Assert.Equal(4, split.Train.Features.Columns);
        Assert.Equal(new[] { 9, 0, 5 }, split.Train.Labels);
        Assert.Equal(new[] { 7, 8 }, split.Test.Labels);
        Assert.Equal(10, split.Train.ClassCount);
        Assert.Equal("Ankle boot", split.Train.ClassNames![9]);
        Assert.Equal("T-shirt/top", split.Train.ClassNames[0]);
        var images = Assert.IsType<ByteFeatures>(split.Train.Features);
        Assert.Equal(1f / 255f, images.Scale);
        var row = new float[4];
        split.Test.Features.GatherRows([1], row);
        var s = 1f / 255f; // gathered values are bytes * scale
        Assert.Equal(new[] { 255 * s, 0 * s, 51 * s, 102 * s }, row);
    }

    [Fact]
    public void FashionMnist_should_name_the_missing_file_and_how_to_install_the_data()
    {
        WriteFashionMnist(_dir.Path);
        File.Delete(Path.Combine(_dir.Path, "t10k-images-idx3-ubyte.gz"));

        var error = Assert.Throws<BadInputException>(() => FashionMnist.Load(_dir.Path));

        Assert.Equal(
            $"Fashion-MNIST not found in {_dir.Path} (missing t10k-images-idx3-ubyte[.gz]): install the Debian package " +
            "dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass --data DIR with the four IDX files",
            error.Message);
    }

    [Fact]
    public void FashionMnist_should_reject_label_and_image_counts_that_differ()
    {
        WriteFashionMnist(_dir.Path);
        var labels = _dir.WriteBytes("train-labels-idx1-ubyte", IdxFiles.Labels(1, 2));

        var error = Assert.Throws<BadInputException>(() => FashionMnist.Load(_dir.Path));

        Assert.Equal(
            $"{labels}: 2 labels, but {Path.Combine(_dir.Path, "train-images-idx3-ubyte")} has 3 images",
            error.Message);
    }

    [Fact]
    public void FashionMnist_should_reject_a_label_above_9()
    {
        WriteFashionMnist(_dir.Path);
        var labels = _dir.WriteBytes("train-labels-idx1-ubyte", IdxFiles.Labels(1, 10, 2));

        var error = Assert.Throws<BadInputException>(() => FashionMnist.Load(_dir.Path));

        Assert.Equal($"{labels}: item 1 (0-based) has label 10, outside 0..9", error.Message);
    }

    /// <summary>Three 2x2 training images (raw), two test images (gzipped), with labels.</summary>
    internal static void WriteFashionMnist(string directory)
    {
        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), IdxFiles.Images(3, 2, 2, Pixels));
        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte"), IdxFiles.Labels(9, 0, 5));
        File.WriteAllBytes(
            Path.Combine(directory, "t10k-images-idx3-ubyte.gz"),
            IdxFiles.Gzip(IdxFiles.Images(2, 2, 2, [9, 8, 7, 6, 255, 0, 51, 102])));
        File.WriteAllBytes(Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Labels(7, 8)));
    }
}
