// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Cumulative Merkle distributor
/// @notice Each epoch the owner (the coordinator's operator key) publishes one root over leaves
/// `(account, cumulativeAmount)`: everything the account has earned since the start, hashed as
/// OpenZeppelin's StandardMerkleTree does (double keccak of the ABI-encoded pair). A claim pays
/// the difference between the proven cumulative amount and what the account already claimed,
/// so an account may skip epochs and claim once for all of them.
/// @dev Epoch numbers strictly increase and each epoch's root is kept: one root per epoch, ever,
/// which is what lets the coordinator retry a settlement after a crash without double-publishing.
contract RewardDistributor is Ownable {
    using SafeERC20 for IERC20;

    IERC20 public immutable token;
    /// @notice The latest epoch with a root (0 before the first).
    uint256 public epoch;
    /// @notice The root claims are proven against (the latest epoch's).
    bytes32 public merkleRoot;
    /// @notice Every epoch's root, for audits and crash reconciliation.
    mapping(uint256 epochNumber => bytes32) public rootOf;
    /// @notice Cumulative amount already paid to each account.
    mapping(address account => uint256) public claimed;

    event RootSet(uint256 indexed epoch, bytes32 indexed root);
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount, address indexed sender);

    error EpochNotIncreasing(uint256 current, uint256 proposed);
    error EmptyRoot();
    error StaleRoot(bytes32 current, bytes32 expected);
    error InvalidProof();
    error NothingToClaim(uint256 cumulativeAmount, uint256 alreadyClaimed);
    error ZeroAccount();

    constructor(IERC20 token_, address owner_) Ownable(owner_) {
        token = token_;
    }

    /// @notice Publish `root` for `newEpoch`, which must be above every earlier epoch.
    function setRoot(uint256 newEpoch, bytes32 root) external onlyOwner {
        if (newEpoch <= epoch) revert EpochNotIncreasing(epoch, newEpoch);
        if (root == bytes32(0)) revert EmptyRoot();
        epoch = newEpoch;
        merkleRoot = root;
        rootOf[newEpoch] = root;
        emit RootSet(newEpoch, root);
    }

    /// @notice Pay `account` what it is owed under the current root. Anyone may send it; the
    /// tokens always go to `account`. `expectedRoot` makes a claim built against an older root
    /// fail loudly instead of being proven against a root the sender never saw.
    function claim(address account, uint256 cumulativeAmount, bytes32 expectedRoot, bytes32[] calldata proof) external {
        if (account == address(0)) revert ZeroAccount();
        bytes32 root = merkleRoot;
        if (expectedRoot != root) revert StaleRoot(root, expectedRoot);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof();
        uint256 already = claimed[account];
        if (cumulativeAmount <= already) revert NothingToClaim(cumulativeAmount, already);
        claimed[account] = cumulativeAmount;
        uint256 amount = cumulativeAmount - already;
        token.safeTransfer(account, amount);
        emit Claimed(account, amount, cumulativeAmount, msg.sender);
    }
}
