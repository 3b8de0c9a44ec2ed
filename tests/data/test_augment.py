import torch

from mien.config import AugmentConfig
from mien.data.augment import augment_batch, cutmix, mixup, random_erase

OFF = AugmentConfig(flip=False, rotate_deg=0, scale=0, shift=0, erase_p=0)


def batch(count=16):
    return torch.randn(count, 1, 48, 48, generator=torch.Generator().manual_seed(1))


def test_with_everything_off_images_are_unchanged():
    images = batch()
    out = augment_batch(images, OFF, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, images, atol=1e-4, rtol=0)


def test_flip_mirrors_about_half_of_the_images():
    images = batch(200)
    settings = AugmentConfig(flip=True, rotate_deg=0, scale=0, shift=0, erase_p=0)
    out = augment_batch(images, settings, torch.Generator().manual_seed(0))
    mirrored = torch.isclose(out, images.flip(-1), atol=1e-4).flatten(1).all(dim=1)
    same = torch.isclose(out, images, atol=1e-4).flatten(1).all(dim=1)
    assert bool((mirrored | same).all())
    assert 70 < int(mirrored.sum()) < 130


def test_shift_moves_content_and_keeps_shape():
    images = torch.zeros(4, 1, 48, 48)
    images[:, :, 20:28, 20:28] = 1.0
    settings = AugmentConfig(flip=False, rotate_deg=0, scale=0, shift=0.2, erase_p=0)
    out = augment_batch(images, settings, torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert not torch.allclose(out, images)


def test_erase_zeroes_one_rectangle_of_the_allowed_size():
    images = torch.ones(64, 1, 48, 48)
    out = random_erase(images, 1.0, (0.05, 0.2), torch.Generator().manual_seed(0))
    erased_share = (out == 0).flatten(1).float().mean(dim=1)
    assert bool((erased_share > 0.02).all()) and bool((erased_share < 0.3).all())


def test_same_generator_state_gives_the_same_augmentation():
    settings = AugmentConfig()
    first = augment_batch(batch(), settings, torch.Generator().manual_seed(7))
    second = augment_batch(batch(), settings, torch.Generator().manual_seed(7))
    torch.testing.assert_close(first, second)


def test_mixup_keeps_targets_normalised():
    targets = torch.eye(7)[torch.arange(8) % 7]
    images, mixed = mixup(batch(8), targets, 0.4, torch.Generator().manual_seed(0))
    assert images.shape == (8, 1, 48, 48)
    torch.testing.assert_close(mixed.sum(dim=1), torch.ones(8))
    assert bool((mixed.max(dim=1).values >= 0.5).all())  # the original image stays dominant


def test_cutmix_pastes_a_partner_rectangle_and_mixes_targets_by_its_area():
    count = 8
    images = torch.arange(count).float().view(count, 1, 1, 1).expand(count, 1, 48, 48).clone()
    targets = torch.eye(count)
    mixed, mixed_targets = cutmix(images, targets, 1.0, torch.Generator().manual_seed(3))
    torch.testing.assert_close(mixed_targets.sum(dim=1), torch.ones(count))
    for index in range(count):
        kept = (mixed[index] == index).float().mean()
        values = mixed[index].unique()
        assert len(values) <= 2  # the image's own pixels and one partner's
        if len(values) == 2:  # a partner other than itself: its share of the target is the pasted area
            torch.testing.assert_close(mixed_targets[index, index], kept)
            changed = (mixed[index] != index).view(48, 48)
            rows, cols = changed.any(dim=1).nonzero(), changed.any(dim=0).nonzero()
            assert int(changed.sum()) == len(rows) * len(cols)  # one rectangle
